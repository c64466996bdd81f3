/**
 * Undoes, for this program's run, the source-map-support hook that Pulumi's Node runner
 * (`@pulumi/pulumi/cmd/run`) installs before it loads the program.
 *
 * Why: the SDK takes a stack trace for every promise it makes (`debuggablePromise`: about 75
 * per resource) and another for every resource's source position. Under source-map-support
 * each one is rewritten through the SDK's own `.js.map` files, which made that mapping most
 * of an evaluation: 1000 DigitalOcean droplets took 28 s of CPU with the hook and 9.5 s
 * without it (bench, stack traces on). The mapping only ever changed the SDK's frames: the
 * program's bundle links no source map (build.js), so its frames read the same either way
 * (dist/program.js:line, the map beside it for a human). Elsewhere, under tsx (the tests)
 * or in the command's process, the hook is not there and nothing changes.
 */

/** Whether source-map-support is loaded in this process (it installs `Error.prepareStackTrace`). */
function sourceMapSupportLoaded(): boolean {
  return Object.keys(require.cache).some((file) => /[\\/]node_modules[\\/]source-map-support[\\/]/.test(file));
}

/** Restores V8's own stack trace formatting when source-map-support installed its own (see the module comment). */
export function dropSourceMappedStackTraces(): void {
  if (sourceMapSupportLoaded()) Reflect.deleteProperty(Error, "prepareStackTrace");
}
