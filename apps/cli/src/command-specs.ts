// What each command accepts, as data: the dispatcher parses with it and prints usage from it.
// Loaded by every invocation, `--help` included, so it imports nothing.

export interface OptionSpec {
  type: 'string' | 'boolean'
  multiple?: boolean
  short?: string
  /** Placeholder shown in usage (`--version <V>`). */
  value?: string
  description: string
}

export interface CommandSpec {
  /** `put`, or `acl grant` for a group's sub-command. */
  name: string
  summary: string
  /** Positional part of the usage line: `<key> <path>`. */
  args: string
  /** Minimum and maximum number of positionals (Infinity for no maximum). */
  positionals: [number, number]
  options: Record<string, OptionSpec>
  details?: string
  examples?: string[]
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'print one JSON document on stdout; errors as one JSON object on stderr' },
  quiet: { type: 'boolean', short: 'q', description: 'no progress bars or notes on stderr' },
  debug: { type: 'boolean', description: 'print stack traces of errors' },
  as: { type: 'string', value: 'user', description: 'act as this user, like ASSETS_USER (default: ASSETS_USER, else the OS user); claimed, not proven' },
  config: { type: 'string', value: 'file', description: 'read this YAML config file (sets CONFIG_PATH)' },
  help: { type: 'boolean', short: 'h', description: "show this command's help" },
}

const KINDS = ['dataset', 'model', 'config', 'output', 'other']
export const ASSET_KIND_NAMES: readonly string[] = KINDS

const REF = '<key>[@version|@tag]'

const COMMAND_LIST: CommandSpec[] = [
  {
    name: 'put',
    summary: 'store a file or folder as a new version of an asset',
    args: '<key> <path>',
    positionals: [2, 2],
    options: {
      version: { type: 'string', value: 'V', description: 'semantic version (default: bump the latest patch; 1.0.0 for a new key)' },
      name: { type: 'string', value: 'file', description: 'the file name get hands it back under (default: the source\'s own name, e.g. pbmc3k.h5ad)' },
      kind: { type: 'string', value: KINDS.join('|'), description: 'what the asset is (default other)' },
      meta: { type: 'string', multiple: true, value: 'k=v', description: 'metadata field; a.b=v nests, k:=<json> takes JSON; repeatable' },
      'meta-file': { type: 'string', value: 'f.yaml', description: 'metadata from a YAML or JSON file (--meta wins)' },
      spec: { type: 'string', value: 'spec.yaml', description: 'input/output specs from a YAML or JSON file' },
      schema: { type: 'string', value: 'schema.yaml', description: 'declarative schema from a YAML or JSON file' },
      tag: { type: 'string', multiple: true, value: 'T', description: 'also tag the new version; repeatable' },
      relate: { type: 'string', multiple: true, value: 'rel=key@version', description: 'link to another asset version (a tag resolves now); repeatable' },
      provenance: { type: 'string', value: 'f.yaml', description: 'provenance (author, source, doi, license …) from a YAML or JSON file' },
      description: { type: 'string', value: 'text', description: 'one-line description' },
      expires: { type: 'string', value: 'time', description: 'ISO time or duration (30m, 12h, 7d, 2w) after which gc may remove it' },
      private: { type: 'boolean', description: 'only the owner (and admins) may read it; default: everyone may read' },
      'follow-links': { type: 'boolean', description: 'for a folder: also store what links leading out of it point to (default: refuse them)' },
    },
    details:
      'Values of --meta that read as numbers are numbers; true, false and null are literals. ' +
      'In a folder, a link is stored as the file or folder it points to; a link that leads out of the folder is refused ' +
      'unless --follow-links, a link cycle always; FIFOs, sockets and devices are refused.',
    examples: [
      'assets put datasets/pbmc3k ./pbmc3k.h5ad --kind dataset --meta organism=human --meta n_cells=2700 --tag gold',
      'assets put outputs/run-42 ./metrics.json --kind output --relate evaluated_on=datasets/pbmc3k@1.0.0',
    ],
  },
  {
    name: 'get',
    summary: 'fetch a version through the cache and print its local path',
    args: REF,
    positionals: [1, 1],
    options: {
      out: {
        type: 'string',
        value: 'path',
        description:
          'also copy it here and print that path: a new path, a regular file to replace, or a folder (or a path ending in /) to hold it under its file name; ' +
          '- writes a file asset to stdout; a link, FIFO, device or socket there is refused',
      },
    },
    examples: ['assets get datasets/pbmc3k@gold', 'assets get models/scvi --out ./model'],
  },
  {
    name: 'cat',
    summary: 'stream the bytes of a version to stdout',
    args: '<key>[@version|@tag]',
    positionals: [1, 1],
    options: {
      range: { type: 'string', value: 'a-b', description: 'bytes a to b, both included (as in HTTP); also a- (to the end) and --range=-n (the last n)' },
      path: { type: 'string', value: 'file', description: 'for a folder asset: the file inside it to stream' },
    },
    details:
      'cat streams: bytes come from the local cache (verified when it was filled) or else straight from storage, ' +
      'unverified until the end. A whole file that does not match its digest has then been written already, and cat ' +
      'exits 1 with INTEGRITY_ERROR; a --range is never verified. For content checked before you read it, use get.',
    examples: ['assets cat datasets/pbmc3k --range 0-1023 | xxd | head', 'assets cat models/scvi --path config.json'],
  },
  {
    name: 'info',
    summary: 'show the metadata of a version',
    args: REF,
    positionals: [1, 1],
    options: {},
    examples: ['assets info datasets/pbmc3k@1.0.0'],
  },
  {
    name: 'versions',
    summary: 'list the versions of an asset, highest first',
    args: '<key>',
    positionals: [1, 1],
    options: { all: { type: 'boolean', description: 'include deleted versions' } },
    examples: ['assets versions datasets/pbmc3k --all'],
  },
  {
    name: 'find',
    summary: 'search the catalogue',
    args: '',
    positionals: [0, 0],
    options: {
      where: {
        type: 'string',
        multiple: true,
        value: 'cond',
        description: 'metadata condition; repeatable, all must hold (see below)',
      },
      kind: { type: 'string', multiple: true, value: 'K', description: 'only this kind; repeatable' },
      tag: { type: 'string', value: 'T', description: 'only versions carrying this tag' },
      text: { type: 'string', value: 'S', description: 'case-insensitive text in the key or description' },
      prefix: { type: 'string', value: 'P', description: 'only keys starting with P (datasets/)' },
      limit: { type: 'string', value: 'N', description: 'at most N results (1-1000, default 100)' },
      sort: { type: 'string', value: 'field[:asc|desc]', description: 'createdAt, key, version, size or metadata.<path>' },
      cursor: { type: 'string', value: 'C', description: 'the next page, from the previous page\'s cursor' },
      'all-versions': { type: 'boolean', description: 'every version, not only the latest of each key' },
    },
    details: [
      'Conditions (no quoting needed; a.b is a nested field):',
      '  field=v  field!=v  field>v  field>=v  field<v  field<=v',
      '  field in a,b,c   field exists   field !exists   field contains v',
      'Values that read as numbers are numbers; true, false and null are literals;',
      'anything else is a string ("quotes" force a string). Dates compare as ISO times.',
    ].join('\n'),
    examples: ["assets find --kind dataset --where 'organism=human' --where 'n_cells>=1000' --sort metadata.n_cells:desc"],
  },
  {
    name: 'ls',
    summary: 'list the latest version of every asset, or of those under a prefix',
    args: '[<prefix>]',
    positionals: [0, 1],
    options: {
      kind: { type: 'string', multiple: true, value: 'K', description: 'only this kind; repeatable' },
      limit: { type: 'string', value: 'N', description: 'at most N results (1-1000, default 100)' },
      cursor: { type: 'string', value: 'C', description: 'the next page' },
    },
    examples: ['assets ls datasets/'],
  },
  {
    name: 'tag',
    summary: 'point a tag at a version (default latest), or remove it with --rm',
    args: '<key> <tag> [<version>]',
    positionals: [2, 3],
    options: { rm: { type: 'boolean', description: 'remove the tag instead' } },
    examples: ['assets tag datasets/pbmc3k production 1.0.0', 'assets tag --rm datasets/pbmc3k production'],
  },
  {
    name: 'annotate',
    summary: 'add a note to a version (default latest)',
    args: `${REF} <text…>`,
    positionals: [2, Number.POSITIVE_INFINITY],
    options: {},
    examples: ['assets annotate datasets/pbmc3k@1.0.0 "cell types re-checked by the curation team"'],
  },
  {
    name: 'annotations',
    summary: 'list the notes of an asset (every version, or one)',
    args: REF,
    positionals: [1, 1],
    options: {},
    examples: ['assets annotations datasets/pbmc3k'],
  },
  {
    name: 'acl show',
    summary: 'show who may read, write and administer a version',
    args: REF,
    positionals: [1, 1],
    options: {},
    examples: ['assets acl show datasets/pbmc3k'],
  },
  {
    name: 'acl grant',
    summary: 'give a principal read, write or admin access (every version unless --version)',
    args: '<key> <read|write|admin> <principal>',
    positionals: [3, 3],
    options: { version: { type: 'string', value: 'V', description: 'only this version' } },
    details: 'A principal is user:<name>, group:<name>, role:<name> or * (everyone); a bare name means user:<name>.',
    examples: ['assets acl grant datasets/pbmc3k read group:lab', 'assets acl grant datasets/pbmc3k write bob --version 1.0.0'],
  },
  {
    name: 'acl revoke',
    summary: 'take back access given with grant (every version unless --version)',
    args: '<key> <read|write|admin> <principal>',
    positionals: [3, 3],
    options: { version: { type: 'string', value: 'V', description: 'only this version' } },
    details: 'A principal is user:<name>, group:<name>, role:<name> or * (everyone); a bare name means user:<name>.',
    examples: ["assets acl revoke datasets/pbmc3k read '*'"],
  },
  {
    name: 'lineage',
    summary: 'show what a version came from and what came from it',
    args: REF,
    positionals: [1, 1],
    options: {
      up: { type: 'boolean', description: 'only what it came from' },
      down: { type: 'boolean', description: 'only what came from it' },
      depth: { type: 'string', value: 'N', description: 'follow links N steps (1-100, default 10)' },
    },
    examples: ['assets lineage outputs/run-42 --up'],
  },
  {
    name: 'rm',
    summary: 'delete a version (soft: it stays in the audit trail and its number is never reused)',
    args: '<key>@<version>',
    positionals: [1, 1],
    options: {},
    examples: ['assets rm datasets/pbmc3k@1.0.1'],
  },
  {
    name: 'verify',
    summary: 're-read stored content against its digests (exit 1 on any problem)',
    args: '[<key>]',
    positionals: [0, 1],
    options: { shallow: { type: 'boolean', description: 'only check that each object exists with the right size' } },
    examples: ['assets verify', 'assets verify datasets/pbmc3k --shallow'],
  },
  {
    name: 'gc',
    summary: 'remove unreferenced content and expired versions (admin role)',
    args: '',
    positionals: [0, 0],
    options: {
      'dry-run': { type: 'boolean', description: 'list what would go, remove nothing' },
      grace: { type: 'string', value: 'seconds', description: 'keep objects younger than this (default 3600)' },
    },
    examples: ['assets gc --dry-run'],
  },
  {
    name: 'serve',
    summary: 'run the asset server: the HTTP API over this stack, for clients with API tokens',
    args: '',
    positionals: [0, 0],
    options: {
      host: { type: 'string', value: 'H', description: 'address to listen on (default 127.0.0.1)' },
      port: { type: 'string', value: 'N', description: 'port (default 8080; 0 picks a free one)' },
      'tls-cert': { type: 'string', value: 'file', description: 'serve https:// with this PEM certificate (with --tls-key)' },
      'tls-key': { type: 'string', value: 'file', description: 'the PEM private key of --tls-cert' },
      'upload-dir': { type: 'string', value: 'dir', description: 'where unfinished uploads wait (default: <cache folder>/server-uploads)' },
      log: { type: 'boolean', description: 'structured request logs (JSON lines) on stdout' },
      'jwks-url': { type: 'string', value: 'url', description: "also accept JWTs of the team's identity provider, verified against this JWKS" },
      'jwt-issuer': { type: 'string', value: 'iss', description: 'the issuer those JWTs must name (required with --jwks-url)' },
      'jwt-audience': { type: 'string', value: 'aud', description: 'the audience those JWTs must name (required with --jwks-url)' },
      'oidc-client-id': { type: 'string', value: 'id', description: "let the web catalogue sign in through that identity provider as this public client (OpenID Connect, code with PKCE; its redirect URI is <server URL>/sign-in/callback; needs --jwks-url)" },
      'oidc-scope': { type: 'string', value: 'scopes', description: 'the scopes the web sign-in asks for (default "openid"; add the ones that put groups or roles in the tokens)' },
    },
    details:
      'Clients use ASSETS_URL=<printed URL> and ASSETS_TOKEN=<token from `assets token create`>. Only the server needs the ' +
      'stack\'s credentials; every request acts as exactly its token\'s user, groups and roles. The API is described at /openapi.json; ' +
      '/healthz and /readyz answer without a token. SIGTERM or Ctrl-C stop it after the transfers in flight.',
    examples: [
      'assets serve --port 8080',
      'assets serve --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem',
      'assets serve --jwks-url https://idp.example.org/jwks --jwt-issuer https://idp.example.org --jwt-audience assets-web --oidc-client-id assets-web',
    ],
  },
  {
    name: 'cache ls',
    summary: 'list the entries of the local cache',
    args: '',
    positionals: [0, 0],
    options: {},
  },
  {
    name: 'cache prune',
    summary: 'evict least recently used entries (and expired ones)',
    args: '',
    positionals: [0, 0],
    options: { 'max-bytes': { type: 'string', value: 'N', description: 'keep at most N bytes (default: the configured maximum)' } },
    examples: ['assets cache prune --max-bytes 50000000000'],
  },
  { name: 'cache clear', summary: 'remove every cache entry', args: '', positionals: [0, 0], options: {} },
  { name: 'cache verify', summary: 're-hash cache entries and drop damaged ones', args: '', positionals: [0, 0], options: {} },
  {
    name: 'config show',
    summary: 'the resolved configuration (secrets redacted) and where each part came from',
    args: '',
    positionals: [0, 0],
    options: {},
  },
  {
    name: 'config check',
    summary: 'check the configuration and its plugins; exit 1 listing every problem',
    args: '',
    positionals: [0, 0],
    options: {},
  },
  {
    name: 'trust',
    summary: "use a folder's config.yaml, .env and node_modules plugins when working in it",
    args: '[<dir>]',
    positionals: [0, 1],
    options: {
      revoke: { type: 'boolean', description: 'stop trusting the folder' },
      list: { type: 'boolean', description: 'list the trusted folders and whether their files changed since' },
    },
    details:
      'A config.yaml or .env in the working folder (not named by --config, CONFIG_PATH or DOTENV_PATH), and plugins in its\n' +
      "node_modules, are used only once you trust the folder: a cloned repository could otherwise run its code or send your\n" +
      'tokens elsewhere. Trust covers the content of config.yaml and .env: after either changes, trust the folder again.\n' +
      'The list is kept in $XDG_CONFIG_HOME/assets/trusted.json (default ~/.config/assets/trusted.json).',
    examples: ['assets trust', 'assets trust ~/projects/bench', 'assets trust --revoke', 'assets trust --list'],
  },
  {
    name: 'plugins',
    summary: 'built-in and installed plugins, where each was found, and which the config selects',
    args: '',
    positionals: [0, 0],
    options: {},
  },
  {
    name: 'audit',
    summary: 'the audit trail of one asset (admin on it) or of everything (admin role)',
    args: '[<key>]',
    positionals: [0, 1],
    options: { limit: { type: 'string', value: 'N', description: 'at most N entries' } },
    examples: ['assets audit datasets/pbmc3k --limit 20'],
  },
  {
    name: 'token create',
    summary: "create an API token for the asset server and print it once (admin role)",
    args: '',
    positionals: [0, 0],
    options: {
      user: { type: 'string', value: 'name', description: 'the user the token acts as; required' },
      groups: { type: 'string', value: 'a,b', description: 'its groups, comma-separated' },
      roles: { type: 'string', value: 'a,b', description: 'its roles, comma-separated (admin makes it a superuser)' },
      expires: { type: 'string', value: 'duration', description: 'lifetime: 30d, 12h, 90m or 3600s (default: never expires)' },
      description: { type: 'string', value: 'text', description: 'what the token is for' },
    },
    details:
      'The token (assets_<id>_<secret>) is printed once; the registry keeps only the sha256 of its secret. ' +
      'Tokens live in the SQL registry, so every server process on the stack sees them at once.',
    examples: ['assets token create --user ci-bot --groups lab --expires 30d --description "nightly benchmarks"', 'assets token create --user alice --json'],
  },
  {
    name: 'token ls',
    summary: 'list API tokens, newest first, without their secrets (admin role)',
    args: '',
    positionals: [0, 0],
    options: {},
    examples: ['assets token ls --json'],
  },
  {
    name: 'token revoke',
    summary: 'revoke an API token at once on every server of the stack (admin role)',
    args: '<id>',
    positionals: [1, 1],
    options: {},
    examples: ['assets token revoke 3f9a0c1d2e4b5a67'],
  },
  {
    name: 'check-compat',
    summary: 'check that a dataset, a model and optionally a task fit together, before anything runs',
    args: '',
    positionals: [0, 0],
    options: {
      dataset: { type: 'string', value: 'file', description: 'dataset spec (YAML or JSON); required' },
      model: { type: 'string', value: 'file', description: 'model spec (YAML or JSON); required' },
      task: { type: 'string', value: 'file', description: 'task spec: also check predictions, references and metrics' },
      machine: { type: 'string', value: 'file', description: "machine (gpus, cpu_cores, ram_mb, disk_mb): also check the model's compute needs" },
    },
    details: 'Exit 0 when compatible (warnings allowed), 1 when not, 2 when a spec file is missing or invalid.',
    examples: ['assets check-compat --dataset pbmc3k.dataset.yaml --model scvi.model.yaml --task clustering.task.yaml'],
  },
  {
    name: 'validate',
    summary: 'check a dataset (h5ad, zarr, csv, tsv) without storing it; print every issue',
    args: '<path>',
    positionals: [1, 1],
    options: {
      schema: { type: 'string', value: 'file|cellxgene-7.0', description: 'declarative schema (YAML or JSON file) or a built-in schema name' },
      spec: { type: 'string', value: 'file', description: 'dataset spec (YAML or JSON) to check as well, its checksum against the content' },
      organism: { type: 'string', value: 'name', description: 'organism (homo_sapiens, HUMAN or NCBITaxon:9606): gene ids must carry its prefix' },
      format: { type: 'string', value: 'h5ad|zarr|csv|tsv', description: 'the format (default: detected from the path)' },
      values: { type: 'boolean', description: 'also read matrix values: NaN/inf, integer counts, share of zeros (slower)' },
    },
    details: 'Exit 0 when valid (warnings allowed), 1 when invalid, 2 when an option, schema or spec is unusable.',
    examples: ['assets validate pbmc3k.h5ad --organism human --schema cellxgene-7.0 --values', 'assets validate samples.csv --schema samples.schema.yaml --json'],
  },
  {
    name: 'import cz-benchmarks',
    summary: "register cz-benchmarks' datasets (its datasets.yaml) by reference, without downloading them",
    args: '<datasets.yaml> [more.yaml …]',
    positionals: [1, Number.POSITIVE_INFINITY],
    options: {
      hash: { type: 'boolean', description: 'read every object once now and record its sha256 (default: a HEAD only; the first get hashes it)' },
      's3-endpoint': { type: 'string', value: 'URL', description: 'an S3-compatible mirror of the bucket, recorded for later gets (default: S3_ENDPOINT_URL, else AWS)' },
      prefix: { type: 'string', value: 'P', description: 'first key segment (default cz-benchmarks): keys are <P>/<dataset name>' },
      'source-repo': { type: 'string', value: 'owner/name', description: 'repository the file comes from, recorded as provenance' },
      'source-commit': { type: 'string', value: 'sha', description: 'commit the file comes from, recorded as provenance' },
      'dry-run': { type: 'boolean', description: 'report what would be registered; register nothing' },
    },
    details:
      `Files are read as data (duplicate keys, null entries and any \${…} other than \${organism:NAME} refused) and merged, ` +
      'the later file winning per dataset name. Each object is pinned by a HEAD (size, ETag, version id); requests are ' +
      'unsigned unless AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are set for the same endpoint as S3_ENDPOINT_URL. An unchanged ' +
      'object is left alone, a changed one gets a new version. Exit 0 when every entry was imported or unchanged, 1 when some were refused.',
    examples: [
      'assets import cz-benchmarks datasets.yaml --source-repo chanzuckerberg/cz-benchmarks --source-commit 6e64d20',
      'assets import cz-benchmarks datasets.yaml extra.yaml --s3-endpoint https://mirror.example.org --hash --json',
    ],
  },
  {
    name: 'help',
    summary: 'show help for a command',
    args: '[<command>]',
    positionals: [0, 2],
    options: {},
  },
]

export const COMMANDS: ReadonlyMap<string, CommandSpec> = new Map(COMMAND_LIST.map((c) => [c.name, c]))

/** Verbs with sub-commands (`acl grant`), and their summary in the general help. */
export const GROUPS: Record<string, string> = {
  acl: 'show, grant or revoke access to an asset',
  cache: 'ls, prune, clear or verify the local cache',
  config: 'show the resolved configuration, or check it',
  import: 'register an external catalogue of datasets (cz-benchmarks)',
  token: "create, list or revoke the asset server's API tokens",
}
