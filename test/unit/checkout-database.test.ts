import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkoutDatabaseName } from '../../cli/checkout-database';

describe("a checkout's own local database", () => {
  it('differs between checkouts, is the same for one checkout however it is reached, and is a plain identifier', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rollgate-checkouts-'));
    try {
      const a = join(dir, 'a');
      const b = join(dir, 'b');
      symlinkSync(dir, join(dir, 'link'));
      expect(checkoutDatabaseName(a)).not.toBe(checkoutDatabaseName(b));
      expect(checkoutDatabaseName(join(dir, 'link'))).toBe(checkoutDatabaseName(dir));
      expect(checkoutDatabaseName()).toMatch(/^rollgate_[0-9a-f]{10}$/);
      expect(checkoutDatabaseName()).toBe(checkoutDatabaseName());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
