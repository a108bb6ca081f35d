import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import type * as WorkflowParser from '@actions/workflow-parser';
import { DATA_DIR } from './model.ts';

/** Problems of a Dockerfile against the rules of deploy/README.md ("The image"). */
export function checkDockerfile(text: string): string[] {
  const file = DockerfileParser.parse(text);
  const args = new Map(file.getInitialARGs().map((a) => [a.getProperty()?.getName() ?? '', a.getProperty()?.getValue() ?? '']));
  const stages: { image: string; name: string | null; instructions: Instruction[] }[] = [];
  for (const instruction of file.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const raw = instruction.getArguments()[0]?.getValue() ?? '';
      const image = raw.replace(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/, (whole, arg: string) => args.get(arg) ?? whole);
      const asIndex = instruction.getArguments().findIndex((a) => a.getValue().toUpperCase() === 'AS');
      stages.push({ image, name: asIndex >= 0 ? (instruction.getArguments()[asIndex + 1]?.getValue() ?? null) : null, instructions: [] });
    } else stages.at(-1)?.instructions.push(instruction);
  }
  const problems: string[] = [];
  if (stages.length < 2) problems.push('not a multi-stage build (one FROM)');
  const stageNames = new Set(stages.map((s) => s.name).filter((n) => n !== null));
  for (const stage of stages) {
    if (stageNames.has(stage.image)) continue;
    if (!/^node:24(\.|-|$)/.test(stage.image)) problems.push(`FROM ${stage.image}: base images must be Node 24 (node:24-…)`);
    else if (/alpine/.test(stage.image)) problems.push(`FROM ${stage.image}: use a glibc (Debian slim) image: @duckdb/node-api needs glibc`);
  }
  const last = stages.at(-1)?.instructions ?? [];
  const final = (keyword: string) => last.filter((i) => i.getKeyword() === keyword);
  const content = (i: Instruction | undefined) => i?.getArgumentsContent() ?? '';
  const user = content(final('USER').at(-1)).trim();
  if (!user) problems.push('the final stage sets no USER: the service would run as root');
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`the final stage runs as ${user}: use a non-root user`);
  if (!/\b(tini|docker-init)\b/.test(content(final('ENTRYPOINT').at(-1)))) problems.push('ENTRYPOINT is not tini (or docker-init): node as PID 1 ignores SIGTERM');
  const health = content(final('HEALTHCHECK').at(-1));
  if (!health || /^NONE\b/i.test(health.trim())) problems.push('the final stage has no HEALTHCHECK');
  if (final('EXPOSE').length === 0) problems.push('the final stage EXPOSEs no port');
  if (!final('VOLUME').some((v) => content(v).includes(DATA_DIR))) problems.push(`${DATA_DIR} is not a VOLUME (the root filesystem is meant to be read-only)`);
  if (!/\bnode\b.*src\/main\.ts/.test(content(final('CMD').at(-1)))) problems.push('CMD does not run node src/main.ts');
  const installs = file.getInstructions().filter((i) => i.getKeyword() === 'RUN' && /\bnpm (ci|install)\b/.test(content(i)));
  if (installs.length === 0) problems.push('no RUN installs dependencies with npm');
  for (const i of installs) if (!/--omit[= ]dev/.test(content(i))) problems.push(`RUN ${content(i).trim().slice(0, 60)}…: install production dependencies only (--omit=dev)`);
  return problems;
}

/**
 * Compose's variable interpolation with `env` as the environment (default:
 * nothing set): a set variable is its value; otherwise ${VAR:-default} and
 * ${VAR-default} become the default, ${VAR:+alt} and bare $VAR / ${VAR}
 * become empty, ${VAR:?message} is an error, $$ is a $.
 */
export function interpolate(value: string, where: string, errors: string[], env: Record<string, string> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, name: string | undefined, op: string | undefined, arg: string | undefined, bare: string | undefined) => {
    if (whole === '$$') return '$';
    const set = env[name ?? bare ?? ''];
    if (set !== undefined && set !== '' && op !== ':+') return set;
    if (op === ':-' || op === '-') return interpolate(arg ?? '', where, errors, env);
    if (op === ':?' || op === '?') errors.push(`${where}: ${whole} is required and has no default`);
    return '';
  });
}

function interpolateAll(value: unknown, where: string, errors: string[], env: Record<string, string>): unknown {
  if (typeof value === 'string') return interpolate(value, where, errors, env);
  if (Array.isArray(value)) return value.map((v, i) => interpolateAll(v, `${where}/${i}`, errors, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, `${where}/${k}`, errors, env)]));
  return value;
}

let composeValidator: ValidateFunction | undefined;

/** The vendored Compose Specification schema (deploy/schema/), compiled once, with its custom formats. */
function compileComposeSchema(): ValidateFunction {
  const schema = JSON.parse(readFileSync(new URL('../../../deploy/schema/compose-spec.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  // The spec's own formats; Docker Compose checks the same shapes after interpolation.
  ajv.addFormat('duration', /^[-+]?((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\[?[0-9a-fA-F.:]+\]?:)?(\d+(-\d+)?)?:)?\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  ajv.addFormat('volumes', true);
  return ajv.compile(schema);
}

/** Errors of a compose file against the Compose Specification schema (deploy/schema/compose-spec.json), after interpolation. */
export function validateComposeSchema(text: string, env: Record<string, string> = {}): string[] {
  const errors: string[] = [];
  const doc = interpolateAll(parse(text) as unknown, '', errors, env);
  composeValidator ??= compileComposeSchema();
  if (!composeValidator(doc)) {
    for (const e of composeValidator.errors ?? []) {
      const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as { additionalProperty: string }).additionalProperty}'` : '';
      errors.push(`${e.instancePath || '/'}: ${e.message ?? e.keyword}${extra}`);
    }
  }
  return errors;
}

interface ComposeService {
  build?: { dockerfile?: string; args?: Record<string, string> };
  healthcheck?: { test?: unknown };
  depends_on?: Record<string, { condition?: string }> | string[];
  ports?: unknown[];
  read_only?: boolean;
  command?: string[];
}

/** Bazaar's own rules for compose: every service built from the one Dockerfile, healthy-gated, only the gateway published. */
export function checkCompose(doc: { services?: Record<string, ComposeService> }, services: { name: string; gateway: boolean }[]): string[] {
  const problems: string[] = [];
  const all = doc.services ?? {};
  for (const infra of ['postgres', 'redis', 'nats']) if (!all[infra]?.healthcheck?.test) problems.push(`${infra}: missing, or without a healthcheck`);
  if (!all.nats?.command?.includes('-js')) problems.push('nats: JetStream is off (command needs -js)');
  for (const s of services) {
    const c = all[s.name];
    if (!c) {
      problems.push(`${s.name}: not in compose`);
      continue;
    }
    if (c.build?.dockerfile !== 'deploy/Dockerfile' || c.build.args?.SERVICE !== s.name) problems.push(`${s.name}: not built from deploy/Dockerfile with SERVICE=${s.name}`);
    if (!c.healthcheck?.test) problems.push(`${s.name}: no healthcheck`);
    if (c.read_only !== true) problems.push(`${s.name}: root filesystem is not read_only`);
  }
  for (const [name, c] of Object.entries(all)) {
    const gateway = services.some((s) => s.name === name && s.gateway);
    if (c.ports && c.ports.length > 0 && !gateway) problems.push(`${name}: publishes ports, but only the gateway may`);
    if (Array.isArray(c.depends_on)) problems.push(`${name}: depends_on must wait for condition: service_healthy`);
    else for (const [dep, how] of Object.entries(c.depends_on ?? {})) if (how.condition !== 'service_healthy') problems.push(`${name}: depends on ${dep} without condition: service_healthy`);
  }
  return problems;
}

let workflowParser: Promise<typeof WorkflowParser> | undefined;

/**
 * GitHub's own workflow parser. It is published for bundlers and imports its
 * JSON schema without `with { type: 'json' }`, which Node refuses; a resolve
 * hook adds the attribute for that package's JSON files only.
 */
function loadWorkflowParser() {
  workflowParser ??= (() => {
    registerHooks({
      resolve(specifier, context, next) {
        const resolved = next(specifier, context);
        const ownJson = resolved.url.includes('/@actions/workflow-parser/dist/') && resolved.url.endsWith('.json');
        return ownJson ? { ...resolved, importAttributes: { type: 'json' } } : resolved;
      },
    });
    return import('@actions/workflow-parser');
  })();
  return workflowParser;
}

/** Errors of a GitHub Actions workflow against GitHub's workflow schema; local reusable workflows are read and checked too. */
export async function validateWorkflow(name: string, content: string, readLocal: (path: string) => string): Promise<string[]> {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await loadWorkflowParser();
  const result = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  if (result.value) {
    const fileProvider = {
      getFileContent: async (ref: { path: string; repository?: string }) => {
        if (ref.repository) throw new Error(`remote reusable workflows are not checked: ${ref.repository}/${ref.path}`);
        return { name: ref.path, content: readLocal(ref.path) };
      },
    };
    await convertWorkflowTemplate(result.context, result.value, fileProvider, { fetchReusableWorkflowDepth: 1 });
  }
  return result.context.errors.getErrors().map((e) => e.message);
}
