'use strict';
// A worker thread of the plan loader pool (api/plan-loader.ts). Worker threads start without
// the TypeScript loader of their parent (tsx, ts-jest), so this entry registers tsx itself and
// then loads definitions/load.ts.
const fs = require('node:fs');
require('tsx/cjs/api').register();
const { loadPlan } = require('../definitions/load.ts');

/** threadId is this thread's Linux id (from /proc/thread-self), for the pool's CPU-time watchdog; null elsewhere. */
function linuxThreadId() {
  try {
    return Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
  } catch {
    return null;
  }
}
const tid = linuxThreadId();

/** One task: say which thread runs it on `started`, then load the plan. */
module.exports = function loadPlanTask({ source, options, started }) {
  started.postMessage({ tid });
  started.close();
  return loadPlan(source, options);
};
