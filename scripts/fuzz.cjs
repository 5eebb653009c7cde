// `npm run fuzz -- --seed N --cases M`: a fuzz campaign on demand (test/fuzz/campaign.ts). The
// campaign and its workers run the TypeScript sources through tsx's CommonJS hook, as the tests do.
require("tsx/cjs");
require("../test/fuzz/campaign.ts")
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
