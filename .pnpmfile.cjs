// pnpm hooks. beforePacking shapes the manifest that `pnpm pack` / `pnpm publish` put in a
// tarball (pnpm has already turned `workspace:` ranges into versions): devDependencies name
// private workspace packages (@tandem/test-utils, @tandem/server) and, like the build scripts,
// mean nothing to a consumer.
module.exports = {
  hooks: {
    beforePacking(pkg) {
      delete pkg.devDependencies;
      delete pkg.scripts;
      return pkg;
    },
  },
};
