import type { DeployService } from './model.ts';

/** The reusable workflow every per-service workflow calls: the one place a service's CI is defined. */
export const SERVICE_WORKFLOW = '.github/workflows/reusable-service.yml';

/** Files whose change can change a service's image or test result. */
export function servicePaths(name: string): string[] {
  return [
    `services/${name}/**`,
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
  const paths = servicePaths(s.name);
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
