/** Replaced by esbuild at build time with package.json's version (see build.mjs). */
declare const __OPENSOUL_VERSION__: string | undefined;
