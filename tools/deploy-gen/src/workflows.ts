import type { DeployService } from './model.ts';

/** The reusable workflow every per-service workflow calls: the one place a service's CI is defined. */
export const SERVICE_WORKFLOW = '.github/workflows/reusable-service.yml';

/**
 * Files whose change can change a service's image or test result: its own,
 * the shared packages, and what its tests start (the services it calls, e.g.
 * payments' tests run psp-sim; the mail sink for a service that sends mail).
 */
export function servicePaths(name: string, testsUse: { upstreams?: readonly string[]; smtp?: boolean } = {}): string[] {
  return [
    `services/${name}/**`,
    ...(testsUse.upstreams ?? []).map((u) => `services/${u}/**`),
    ...(testsUse.smtp ? ['tools/mail-sink/**'] : []),
    'packages/**',
    'package.json',
    'package-lock.json',
    'deploy/Dockerfile',
    '.dockerignore',
    '.github/workflows/reusable-*.yml',
    `.github/workflows/service-${name}.yml`,
  ];
}

/** The workflow of one service: runs when its files (or what it is built from) change. */
export function serviceWorkflow(s: DeployService): Record<string, unknown> {
  const paths = servicePaths(s.name, { upstreams: s.urlSettings, smtp: s.needs.smtp });
  return {
    name: `service: ${s.name}`,
    on: {
      push: { branches: ['main'], paths },
      pull_request: { paths },
      workflow_dispatch: {},
    },
    concurrency: { group: `service-${s.name}-\${{ github.ref }}`, 'cancel-in-progress': true },
    permissions: { contents: 'read' },
    jobs: {
      [s.name]: { uses: `./${SERVICE_WORKFLOW}`, with: { service: s.name } },
    },
  };
}
