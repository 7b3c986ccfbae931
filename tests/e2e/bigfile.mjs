// Generates large classic `$logs` files for the browser tests (written to the OS temp folder,
// never committed): one request per line, realistic fields, a few % failures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function hex(n, width) {
  return n.toString(16).padStart(width, '0');
}

/** Writes `requests` lines (cached by size) and returns the path. */
export function bigStorageAnalytics(requests) {
  const file = path.join(os.tmpdir(), `storage-doctor-e2e-${requests}.log`);
  if (fs.existsSync(file)) return file;
  const fd = fs.openSync(file + '.part', 'w');
  const ops = ['GetBlob', 'PutBlob', 'GetBlobProperties', 'ListBlobs', 'DeleteBlob'];
  let chunk = [];
  const base = Date.UTC(2024, 2, 5, 0, 0, 0);
  for (let i = 0; i < requests; i++) {
    const t = new Date(base + i * 7).toISOString().replace('Z', '0000Z');
    const op = ops[i % ops.length];
    const fail = i % 37 === 0;
    const status = fail ? (op === 'GetBlobProperties' ? 404 : 403) : op === 'PutBlob' ? 201 : op === 'DeleteBlob' ? 202 : 200;
    const rs = fail ? (status === 404 ? 'BlobNotFound' : 'AuthorizationPermissionMismatch') : 'Success';
    const blob = `c${i % 20}/b${i % 5000}.bin`;
    const rid = `${hex(i, 8)}-a01e-0023-1f0b-5f2c8a000000`;
    const crid = `${hex(i * 7919 % 0xffffffff, 8)}-4f0c-4e3b-9a5e-6d1c2b3a4f51`;
    chunk.push(
      `1.0;${t};${op};${rs};${status};${12 + (i % 40)};${8 + (i % 30)};authenticated;acct;acct;blob;` +
        `"https://acct.blob.core.windows.net/${blob}";"/acct/${blob}";${rid};0;10.0.${i % 250}.4:5${i % 1000};2023-11-03;` +
        `512;0;300;1024;0;;;;;;"azsdk-net-Storage.Blobs/12.19.1";;"${crid}"\n`,
    );
    if (chunk.length === 20000) {
      fs.writeSync(fd, chunk.join(''));
      chunk = [];
    }
  }
  fs.writeSync(fd, chunk.join(''));
  fs.closeSync(fd);
  fs.renameSync(file + '.part', file);
  return file;
}
