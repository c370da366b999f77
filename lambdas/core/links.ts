/** What a link template may name: the service, the candidate version, the version it replaces. */
export interface LinkValues {
  service: string;
  version: string;
  previous?: string;
}

const PLACEHOLDER = /\{(service|version|previous)\}/g;

/**
 * The service's links (config `services.<name>.links`: changelog, commit range, build…) for one
 * go-live, placeholders filled in and URL-encoded. A link naming `{previous}` is left out when the
 * version it replaces is unknown (a first go-live).
 */
export function renderLinks(templates: Readonly<Record<string, string>>, values: LinkValues): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(templates)) {
    if (template.includes('{previous}') && !values.previous) continue;
    out[name] = template.replace(PLACEHOLDER, (_, key: keyof LinkValues) => encodeURIComponent(values[key] ?? ''));
  }
  return out;
}

/** Why a link template is not usable, or undefined: it must be an http(s) URL once filled in. */
export function linkTemplateProblem(template: string): string | undefined {
  const unknown = /\{([^}]*)\}/g;
  for (const [, name] of template.matchAll(unknown)) {
    if (!['service', 'version', 'previous'].includes(name))
      return `{${name}} is no placeholder: use {service}, {version} or {previous}`;
  }
  try {
    const url = new URL(renderLinks({ t: template }, { service: 'svc', version: '1.2.3', previous: '1.2.2' }).t);
    return url.protocol === 'https:' || url.protocol === 'http:' ? undefined : 'must be an http(s) URL';
  } catch {
    return 'must be a URL once its placeholders are filled in (e.g. https://github.com/acme/{service}/compare/v{previous}...v{version})';
  }
}
