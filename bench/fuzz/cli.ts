/**
 * npm run fuzz -- [--cases N] [--seconds S] [--seed N] [--workers N] [--out DIR] [--state FILE]
 *                 [--case-ms MS] [--memory-mb MB] [--families a,b] [--fresh] [--json]
 *        npm run fuzz -- --replay FILE --family F [--variant V]   (one saved input, in process, with its stack)
 * Exit status: 0 when the run saw no crash, hang or memory breach, 1 otherwise, 2 on a usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isFtpIdsError } from '../../src/common/errors.js';
import { ALL_FAMILIES, FAMILIES, fuzzModelText, type Family } from './inputs.js';
import { defaultFuzzOptions, runFuzz } from './run.js';
import { createContext, disposeContext, runTarget } from './targets.js';

const USAGE = `usage: npm run fuzz -- [--cases N] [--seconds S] [--seed N] [--workers N] [--out DIR] [--state FILE]
                     [--case-ms MS] [--memory-mb MB] [--families ${FAMILIES.join(',')}] [--fresh] [--json]
       npm run fuzz -- --replay FILE --family F [--variant V]
  --cases N      run until the state holds N cases (default 10000; resumable: run again to continue)
  --seconds S    stop after S seconds of this run
  --seed N       case k of seed N is always the same input (default 1)
  --workers N    worker threads (default 1)
  --case-ms MS   time bound of one case (default 3000): beyond it the worker is ended (a hang)
  --memory-mb MB heap bound of a worker, and bound on Buffers left after a case (default 256)
  --minimize-ms  time budget for minimizing one failing input (default 20000)
  --out DIR      minimized failing inputs, by family (default fuzz-out); the state file is DIR/state.json
`;

function int(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) {
    process.stderr.write(`fuzz: --${name}: expected a whole number, got ${JSON.stringify(v.slice(0, 40))}\n${USAGE}`);
    process.exit(2);
  }
  return Number(v);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cases: { type: 'string' }, seconds: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' },
      out: { type: 'string' }, state: { type: 'string' }, 'case-ms': { type: 'string' }, 'memory-mb': { type: 'string' },
      families: { type: 'string' }, 'minimize-ms': { type: 'string' }, fresh: { type: 'boolean' }, json: { type: 'boolean' },
      replay: { type: 'string' }, family: { type: 'string' }, variant: { type: 'string' }, help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const families = (values.families ?? values.family)?.split(',') as Family[] | undefined;
  for (const f of families ?? []) {
    if (!ALL_FAMILIES.includes(f)) {
      process.stderr.write(`fuzz: unknown family ${JSON.stringify(f)} (one of ${FAMILIES.join(', ')})\n`);
      return 2;
    }
  }
  if (values.replay) {
    if (!families || families.length !== 1) {
      process.stderr.write('fuzz: --replay needs --family\n');
      return 2;
    }
    const ctx = createContext(fuzzModelText());
    try {
      await runTarget(families[0], readFileSync(values.replay), int(values.variant, 'variant') ?? 0, ctx);
      process.stdout.write('ok\n');
    } catch (e) {
      if (!isFtpIdsError(e)) throw e; // a crash: its stack is printed
      process.stdout.write(`expected: ${e.code}: ${e.describe()}\n`);
    } finally {
      disposeContext(ctx);
    }
    return 0;
  }
  const o = defaultFuzzOptions({
    seed: int(values.seed, 'seed'), cases: int(values.cases, 'cases'), seconds: int(values.seconds, 'seconds'),
    workers: int(values.workers, 'workers'), out: values.out, state: values.state, caseMs: int(values['case-ms'], 'case-ms'),
    memoryMb: int(values['memory-mb'], 'memory-mb'), families, fresh: values.fresh, minimizeMs: int(values['minimize-ms'], 'minimize-ms'),
  });
  const s = await runFuzz(o);
  if (values.json) process.stdout.write(JSON.stringify(s) + '\n');
  else {
    const c = s.counts;
    process.stdout.write(
      `fuzz: seed ${s.seed}: ${s.cases} cases in the state (${s.runCases} this run, ${s.casesPerSecond.toFixed(0)} cases/s, ` +
        `${s.cpuSecondsPerKiloCase.toFixed(2)} CPU s per 1000 cases)\n` +
        `  ok ${c.ok}, expected errors ${c.expected}, crashes ${c.crash}, hangs ${c.hang}, memory breaches ${c.memory}, slow ${c.slow}${c.skipped ? `, generator failures ${c.skipped}` : ''}\n` +
        s.failures.map((f) => `  ${f.count} × ${f.signature}\n    ${f.saved.join('\n    ')}\n`).join(''),
    );
  }
  return s.counts.crash + s.counts.hang + s.counts.memory > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fuzz: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(2);
  },
);
