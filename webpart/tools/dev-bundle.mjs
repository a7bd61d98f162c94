// Builds the dev page's bundle (bot/static/webpart.js) from the same sources as the web part.
// The bundle is committed, so `make run` needs no Node; its first line names the sha256 of the
// sources it was built from, and tests/unit/test_webpart_bundle.py fails when they changed
// without a rebuild. `--check` rebuilds in memory and fails if the committed file differs.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '..', 'bot', 'static', 'webpart.js');
const HASHED = ['src/chat', 'src/dev', 'package.json', 'package-lock.json', 'tools/dev-bundle.mjs'];

function files(path) {
  const full = join(root, path);
  if (statSync(full).isFile()) return [path];
  return readdirSync(full).sort().flatMap((name) => files(`${path}/${name}`));
}

export function sourcesHash() {
  const hash = createHash('sha256');
  for (const path of HASHED.flatMap(files).sort()) {
    hash.update(path + '\0');
    hash.update(readFileSync(join(root, path)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

const result = await build({
  entryPoints: [join(root, 'src/dev/main.tsx')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2019'],
  legalComments: 'none',
  define: { 'process.env.NODE_ENV': '"production"' },
  banner: { js: `/* sources-sha256: ${sourcesHash()} (webpart/tools/dev-bundle.mjs) */` },
  write: false
});
const text = result.outputFiles[0].text;
if (process.argv.includes('--check')) {
  const committed = readFileSync(out, 'utf8');
  if (committed !== text) {
    console.error(`${relative(process.cwd(), out)} is not what the sources build to: run make dev-bundle`);
    process.exit(1);
  }
  console.log('dev bundle matches its sources');
} else {
  writeFileSync(out, text);
  console.log(`wrote ${relative(process.cwd(), out)} (${text.length} bytes)`);
}
