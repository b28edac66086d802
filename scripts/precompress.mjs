// Writes FILE.br (brotli, quality 11) and FILE.gz (gzip, level 9) beside every text and
// Wasm file under the folder given, for the server to send as they are. A copy is
// (re)written only when it is missing or older than its file, and kept only when smaller.
// Used by `cargo xtask site`; Node's own zlib, so nothing is downloaded.
import { readdirSync, readFileSync, statSync, writeFileSync, rmSync, existsSync } from "node:fs";
import { join, extname } from "node:path";
import { brotliCompressSync, gzipSync, constants } from "node:zlib";

const COMPRESSIBLE = new Set([".js", ".mjs", ".wasm", ".css", ".svg", ".json", ".webmanifest", ".html", ".txt"]);

const root = process.argv[2];
if (!root) {
  console.error("usage: node precompress.mjs SITE_DIR");
  process.exit(2);
}

function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path);
    else if (COMPRESSIBLE.has(extname(entry.name))) compress(path);
  }
}

function compress(path) {
  const source = statSync(path);
  let data;
  for (const [suffix, encode] of [
    [".br", (d) => brotliCompressSync(d, { params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: d.length,
      [constants.BROTLI_PARAM_MODE]: extname(path) === ".wasm" ? constants.BROTLI_MODE_GENERIC : constants.BROTLI_MODE_TEXT,
    } })],
    [".gz", (d) => gzipSync(d, { level: 9 })],
  ]) {
    const out = path + suffix;
    if (existsSync(out) && statSync(out).mtimeMs >= source.mtimeMs) continue;
    data ??= readFileSync(path);
    const packed = encode(data);
    if (packed.length < data.length) writeFileSync(out, packed);
    else rmSync(out, { force: true });
  }
}

walk(root);
