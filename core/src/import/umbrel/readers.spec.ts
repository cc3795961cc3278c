import { describe, expect, it } from 'vitest';
import { splitCommandLine } from './command-line.js';
import { readComposeFile } from './compose-file.js';
import { readExportsFile } from './exports-file.js';

describe('readExportsFile (text only, never run)', () => {
  it('takes top-level literal exports and records what shell code computes', () => {
    const file = readExportsFile(
      [
        'export APP_X_IP="10.21.21.5"',
        "export APP_X_QUOTED='a$b'",
        'export APP_X_PORT=8080 # the web port',
        'export APP_X_DIR="${EXPORTS_APP_DIR}/data"',
        'export APP_X_KEY=$(derive_entropy "env-${app_entropy_identifier}-key" | head -c32)',
        'export APP_X_IPS="$(hostname -I)"',
        'if [ -f x ]; then',
        '  export APP_X_MODE="fancy"',
        'fi',
        'export APP_X_PORT="9090"',
      ].join('\n'),
    );
    expect(Object.fromEntries(file.literal)).toEqual({
      APP_X_IP: '10.21.21.5',
      APP_X_QUOTED: 'a$$b',
      APP_X_PORT: '8080',
      APP_X_DIR: '${EXPORTS_APP_DIR}/data',
    });
    expect(Object.fromEntries(file.computed)).toEqual({
      APP_X_KEY: 'derived-secret',
      APP_X_IPS: 'computed',
      APP_X_MODE: 'computed',
    });
  });
});

describe('splitCommandLine', () => {
  it('splits as a shell would, without expanding anything', () => {
    expect(splitCommandLine(`serve --title "My notes" --x='a b' c\\ d $HOME`)).toEqual([
      'serve',
      '--title',
      'My notes',
      '--x=a b',
      'c d',
      '$HOME',
    ]);
    expect(splitCommandLine('  ')).toEqual([]);
  });
});

describe('readComposeFile', () => {
  it('reads both spellings of environment, depends_on and volumes, and takes app_proxy apart', () => {
    const file = readComposeFile(
      [
        'services:',
        '  app_proxy:',
        '    environment:',
        '      APP_HOST: x_web_1',
        '      APP_PORT: "80"',
        '      PROXY_AUTH_ADD: "false"',
        '  web:',
        '    image: a/b:1',
        '    environment: [A=1, B]',
        '    depends_on: { db: { condition: service_healthy } }',
        '    volumes:',
        '      - ${APP_DATA_DIR}/x:/x:ro',
        '      - { type: tmpfs, target: /tmp/cache }',
        '    networks: { default: { ipv4_address: $APP_X_WEB_IP } }',
      ].join('\n'),
    );
    expect(file.ok).toBe(true);
    if (!file.ok) return;
    expect(file.value.proxy).toEqual({ host: 'x_web_1', port: '80', authAdded: false });
    const [web] = file.value.services;
    expect(web).toMatchObject({
      name: 'web',
      environment: { A: '1', B: null },
      dependsOn: ['db'],
      ipv4Address: '$APP_X_WEB_IP',
      volumes: [
        { type: 'bind', source: '${APP_DATA_DIR}/x', target: '/x', readOnly: true },
        { type: 'tmpfs', source: '', target: '/tmp/cache', readOnly: false },
      ],
    });
  });
});
