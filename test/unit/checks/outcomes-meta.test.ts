import { describe, expect, it } from 'vitest';
import { CATALOG } from '../../../src/catalog.js';
import { checkById } from '../../../src/checks/index.js';
import { applyChanges, checkFolders, filesOf, hasFolder, interpretCapture, readCapture, readNotThis } from './outcome-cases.js';

/**
 * Every check of the catalogue, every outcome it declares: a capture of the real programs' output that
 * yields it, and a nearby input that must not (test/fixtures/checks/README.md). A new check or outcome
 * without both fails here, by name.
 */
const checks = Object.keys(CATALOG.checks).map(checkById);

/**
 * Outcomes no capture yields yet, and why. Each still has its "not this"; once captured, it leaves this list
 * (the test below fails while a capture and an entry here both exist).
 */
const NOT_CAPTURED: Readonly<Record<string, string>> = {
  'backend.reach unknown': 'the flow sends only TCP addresses here (a connect timeout or no route); a unix socket or an unknown address never arrives',
};

/** Captures with outputs written by hand, because the capture box cannot produce them (each says why in `written`). */
const WRITTEN: ReadonlySet<string> = new Set(['selinux.state enforcing-denies', 'selinux.state enforcing-allows', 'service.manager systemd']);
const where = (id: string, file: string) => `test/fixtures/checks/${id}/${file}`;

describe('every outcome of every check has a capture that yields it, and a "not this" beside it', () => {
  it('the catalogue has checks to hold to this', () => {
    expect(checks.length).toBeGreaterThan(0);
  });

  for (const check of checks) {
    describe(check.id, () => {
      it('has a folder of captures', () => {
        expect(hasFolder(check.id), `no folder ${where(check.id, '')}: capture each outcome of ${check.id} (README.md there says how)`).toBe(true);
      });

      for (const outcome of check.outcomes) {
        it(`${outcome}: a capture yields it`, () => {
          const file = `${outcome}.json`;
          const present = hasFolder(check.id) && filesOf(check.id).includes(file);
          const missing = NOT_CAPTURED[`${check.id} ${outcome}`];
          if (missing) {
            expect(present, `${where(check.id, file)} exists: take "${check.id} ${outcome}" off NOT_CAPTURED`).toBe(false);
            return;
          }
          expect(present, `${check.id} has no capture for its outcome "${outcome}": add ${where(check.id, file)}`).toBe(true);
          const capture = readCapture(check.id, file);
          expect([capture.check, capture.yields], where(check.id, file)).toEqual([check.id, outcome]);
          expect(capture.captured.length, `${where(check.id, file)} says how it was captured`).toBeGreaterThan(20);
          expect(capture.written !== undefined, `${where(check.id, file)}: written by hand only where WRITTEN says the box cannot produce it`).toBe(WRITTEN.has(`${check.id} ${outcome}`));
          expect(interpretCapture(check, capture).outcome, where(check.id, file)).toBe(outcome);
        });

        it(`${outcome}: not this, a nearby input yields another outcome`, () => {
          const notThis = hasFolder(check.id) ? readNotThis(check.id)[outcome] : undefined;
          expect(notThis, `${check.id} has no "not this" for "${outcome}": name one in ${where(check.id, 'not-this.json')}`).toBeDefined();
          if (!notThis) return;
          expect(notThis.yields).not.toBe(outcome);
          expect(check.outcomes).toContain(notThis.yields);
          const capture = readCapture(check.id, notThis.input);
          expect(capture.check).toBe(check.id);
          const changed = notThis.change?.length ? applyChanges(capture, notThis.change) : null;
          const result = changed ? check.interpret(changed.facts, changed.results) : interpretCapture(check, capture);
          expect(result.outcome, `${where(check.id, 'not-this.json')}: ${outcome}`).not.toBe(outcome);
          expect(result.outcome, `${where(check.id, 'not-this.json')}: ${outcome}`).toBe(notThis.yields);
        });
      }

      it('holds nothing for an outcome it does not declare', () => {
        if (!hasFolder(check.id)) return;
        const stray = filesOf(check.id).filter((f) => f.endsWith('.json') && f !== 'not-this.json' && !check.outcomes.includes(readCapture(check.id, f).yields));
        expect(stray, `captures in ${where(check.id, '')} of outcomes ${check.id} does not declare`).toEqual([]);
        expect(Object.keys(readNotThis(check.id)).filter((o) => !check.outcomes.includes(o))).toEqual([]);
      });
    });
  }

  it('holds no folder for a check the catalogue lacks', () => {
    expect(
      checkFolders().filter((f) => !CATALOG.checks[f]),
      'folders under test/fixtures/checks/ for checks not in src/catalog.ts',
    ).toEqual([]);
  });
});
