// A host whose time service is broken, for a child process: loaded before anything else
// (NODE_OPTIONS=--import=<this file's URL>), it moves the wall clock SKEWED_CLOCK_SECONDS
// ahead (negative: behind) for Date.now(), `new Date()` and Date(). The monotonic clocks
// (performance.now, process.hrtime) stay as they are, as on a real host. The clock is
// injectable in-process only; a child process needs this instead, and the setting lives
// here, never in Tessera's configuration.
const offsetMs = Number(process.env.SKEWED_CLOCK_SECONDS) * 1000;
if (!Number.isFinite(offsetMs)) throw new Error('SKEWED_CLOCK_SECONDS must be a number of seconds');

const RealDate = Date;
const skewedNow = () => RealDate.now() + offsetMs;

globalThis.Date = new Proxy(RealDate, {
  construct: (target, args, newTarget) => Reflect.construct(target, args.length === 0 ? [skewedNow()] : args, newTarget),
  apply: () => new RealDate(skewedNow()).toString(),
  get: (target, property, receiver) => (property === 'now' ? skewedNow : Reflect.get(target, property, receiver)),
});
