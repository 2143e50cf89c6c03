// BuildChecks: `kiln check`'s linter.
//
// Input: a `CheckInput` (syntax tree, source text, typed program, and optionally the build
// context listing after .dockerignore filtering, built by the caller). `Linter.run` applies every
// enabled `Rule` and returns `Finding`s sorted by location. The module does no I/O.
//
// Rules:
// * BuildKit's 22 build checks, with BuildKit's names and message texts (`Linter.buildkitRules`).
//   `InvalidDefinitionDescription` is experimental (enable with `# check=experimental=…`).
//   `InvalidBaseImagePlatform` needs the pulled image: it only reports what the caller passes in
//   `CheckInput.basePlatforms` (kiln check pulls nothing, so it is silent there).
// * kiln's rules from the tutorial (`Linter.kilnRules`): RootUser, MissingDockerignore,
//   SecretFileInContext, SecretInDockerfile, CacheBustingCopyOrder, UnpinnedBaseImage,
//   BuildToolsInFinalImage.
//
// `# check=skip=…|all`, `error=true` and `experimental=…|all` apply to both sets (`CheckConfig`).
//
// Decisions worth knowing:
// * Secret files: `.env.example`, `.env.sample`, `.env.template`, `.env.dist`, `.env.defaults`
//   (and `.tmpl`/`.tpl`) are templates, not secrets; `*.pub` keys are public. A `.git/`
//   directory is reported once, not file by file. See `SecretFiles`.
// * COPY/ADD sources are matched against context files like Docker does: a directory copies its
//   subtree, wildcards follow Go's `filepath.Match`, `--exclude` patterns are honoured, and
//   `--from`, heredoc, URL/git sources and sources with variables never read the context.
// * Secret values are never echoed: findings carry a masked stand-in (at most a public prefix such
//   as `ghp_…`), and `SecretDetector.masking` blanks them out of source lines shown in diagnostics.
//   Literals assigned to sensitive names count when at least 8 characters long with a Shannon
//   entropy of 3.0 bits per character or more, and not a variable, command substitution or path.
// * UndefinedVar: without pulling, an external base image's environment is unknown; only PATH is
//   assumed. Variables the image defines are therefore reported too.
