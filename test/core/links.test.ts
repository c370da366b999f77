import { parseConfig } from '../../lambdas/core/config';
import { renderLinks } from '../../lambdas/core/links';
import { demoConfigFile } from '../support/fake-deps';

describe('renderLinks', () => {
  const templates = {
    changelog: 'https://git.example/{service}/compare/v{previous}...v{version}',
    build: 'https://ci.example/builds?version={version}',
  };

  it('fills in the service, the version and the version it replaces, URL-encoded', () => {
    expect(renderLinks(templates, { service: 'demo', version: '2.0.0-rc.1+b 7', previous: '1.4.2' })).toEqual({
      changelog: 'https://git.example/demo/compare/v1.4.2...v2.0.0-rc.1%2Bb%207',
      build: 'https://ci.example/builds?version=2.0.0-rc.1%2Bb%207',
    });
  });

  it('leaves out a link that needs the previous version on a first go-live', () => {
    expect(renderLinks(templates, { service: 'demo', version: '1.0.0' })).toEqual({
      build: 'https://ci.example/builds?version=1.0.0',
    });
  });
});

describe('services.<name>.links in the config', () => {
  const base = demoConfigFile();
  const withLinks = (links: Record<string, string>) =>
    parseConfig({ ...base, services: { demo: { ...base.services.demo, links } } });

  it('accepts http(s) templates', () => {
    expect(
      withLinks({ changelog: 'https://git.example/{service}/compare/v{previous}...v{version}' }).services.demo.links,
    ).toEqual({ changelog: 'https://git.example/{service}/compare/v{previous}...v{version}' });
  });

  it.each([
    [
      '{commit}',
      'https://git.example/{commit}',
      'services.demo.links.changelog: {commit} is no placeholder: use {service}, {version} or {previous}',
    ],
    [
      'not a URL',
      'git.example/{version}',
      'services.demo.links.changelog: must be a URL once its placeholders are filled in',
    ],
    ['another scheme', 'javascript:alert({version})', 'services.demo.links.changelog: must be an http(s) URL'],
  ])('refuses a template with %s, naming the field', (_, template, message) => {
    expect(() => withLinks({ changelog: template })).toThrow(message);
  });
});
