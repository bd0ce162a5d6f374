/** How sizes, money and ages are written for people, the same in every answer. */

/**
 * Sizes in binary units, named as such: the server checks RunComfy's "10 MB" image rule as 10 MiB (10 × 1024²
 * bytes), so every size it shows is in MiB too, and no binary figure wears a decimal name.
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
}

/**
 * An amount in USD as answers carry it: to the cent, or to the finer unit a price really has (a tenth of a cent
 * per second), never with a float's binary tail (0.56 × 5 = 2.8000000000000003).
 */
export function roundUsd(usd: number): number {
  const cents = usd * 100;
  return Math.abs(cents - Math.round(cents)) < 1e-6 ? Math.round(cents) / 100 : Math.round(usd * 1e6) / 1e6;
}

export function formatUsd(usd: number): string {
  return `$${usd.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

export function formatAge(s: number): string {
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}
