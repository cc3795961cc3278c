/** The boot and install times one run measured, printed at its end (the README reports them). */
export const bootTimes: { what: string; seconds: number }[] = [];

export function recordBoot(what: string, ms: number): void {
  const seconds = Math.round(ms / 100) / 10;
  bootTimes.push({ what, seconds });
  console.log(`[os-boot] ${what}: ${seconds} s`);
}
