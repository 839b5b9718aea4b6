// Hash routes (#/bills/BMF-1): the hub serves one page at "/", and a reload keeps the user's place.
import { useEffect, useState } from "preact/hooks";

export function currentPath(): string {
  const hash = location.hash.replace(/^#/, "");
  return hash.startsWith("/") ? hash : "/";
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath());
  useEffect(() => {
    const update = () => setPath(currentPath());
    window.addEventListener("hashchange", update);
    update(); // the hash may have changed between the first render and this effect

    return () => window.removeEventListener("hashchange", update);
  }, []);
  return path;
}

export function go(path: string): void {
  location.hash = `#${path}`;
}

export function href(path: string): string {
  return `#${path}`;
}

/** "/bills/BMF%2D1" against "/bills/:number" -> { number: "BMF-1" }, or null. */
export function match(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split("/");
  const s = path.split("?")[0].split("/");
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(":")) params[p[i].slice(1)] = decodeURIComponent(s[i]);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}
