// The JSON API and its CSV routes: URLs built from parameters, JSON read
// with the API's error message kept.

/** `path` with the parameters that have a value, as a query string. */
export function url(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") query.set(name, value);
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** GETs `path` with `params` and reads the JSON answer; throws the API's message. */
export async function getJson(path, params = {}) {
  const response = await fetch(url(path, params));
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    throw new Error(body?.error?.message ?? `${response.status} ${response.statusText}`);
  }
  return body;
}

/** The `.csv` twin of a JSON route. */
export function csvUrl(path, params) {
  return url(`${path}.csv`, params);
}
