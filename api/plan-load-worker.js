'use strict';
// A worker thread of the plan loader pool (api/plan-loader.ts). Worker threads start without
// the TypeScript loader of their parent (tsx, ts-jest), so this entry registers tsx itself and
// then loads definitions/load.ts.
const fs = require('node:fs');
require('tsx/cjs/api').register();
const { loadPlan } = require('../definitions/load.ts');
const { parseAllowList } = require('../config/webhook-allow.ts');

/** threadId is this thread's Linux id (from /proc/thread-self), for the pool's CPU-time watchdog; null elsewhere. */
function linuxThreadId() {
  try {
    return Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
}
const tid = linuxThreadId();

/**
 * One task: say which thread runs it on `started`, then load the plan. At most maxIssues errors
 * and as many warnings come back (with their full counts): a broken 1 MiB plan can have a
 * hundred thousand, and copying and answering them all would stall the API's event loop.
 */
module.exports = function loadPlanTask({ source, options, maxIssues, started }) {
  started.postMessage({ tid });
  started.close();
  // The webhook allowlist arrives as a structured clone, which keeps its entries' text but not
  // the parsed addresses' methods: parse it again here.
  const webhookAllow = options.webhookAllow && parseAllowList(options.webhookAllow.map((entry) => entry.text).join(',')).list;
  const result = loadPlan(source, { ...options, ...(webhookAllow ? { webhookAllow } : {}) });
  const counts = { errorCount: result.ok ? 0 : result.errors.length, warningCount: result.warnings.length };
  const warnings = result.warnings.slice(0, maxIssues);
  return result.ok ? { ...result, warnings, ...counts } : { ...result, errors: result.errors.slice(0, maxIssues), warnings, ...counts };
};
