import { existsSync, readFileSync } from 'node:fs';

interface Needed {
  program: string;
  package: string;
  npm?: boolean;
}

/** What the lab drives for real (test/integration/lab/packages.json); scripts/lab-packages.mjs installs it. */
const NEEDED: Needed[] = JSON.parse(readFileSync(new URL('./lab/packages.json', import.meta.url), 'utf8')).needed;

const onPath = (name: string) => (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(`${dir}/${name}`));

/** Refuses to start the lab without its programs, saying how to get them (npm test installs them as root). */
export default function setup(): void {
  const absent = NEEDED.filter(({ program }) => !(program.includes('/') ? existsSync(program) : onPath(program)));
  if (absent.length) {
    throw new Error(`the integration tests need ${absent.map((a) => a.program).join(', ')}: run npm test as root (it installs them first), or node scripts/lab-packages.mjs as root`);
  }
  if (!existsSync(new URL('../../dist/badgateway.js', import.meta.url))) {
    throw new Error('dist/badgateway.js is missing: run npm test (it builds first) or npm run build');
  }
}
