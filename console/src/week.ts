// The port's week of vessel calls laid out on a time axis.

export interface Call {
  id: string;
  vesselName: string | null;
  berth: string | null;
  eta: string | null;
  etb: string | null;
  etd: string | null;
  ata: string | null;
  atb: string | null;
  atd: string | null;
}

/** Monday 00:00 UTC of the week holding `iso`. */
export function weekStart(iso: string): Date {
  const d = new Date(iso);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day));
}

export function addDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * 86_400_000);
}

export interface Bar {
  call: Call;
  left: number; // 0..1 of the week
  width: number;
  actual: boolean; // arrival is actual
  open: boolean; // no departure known: the bar runs to the end of the week
}

/** Each call as a bar from arrival (actual, else estimated) to departure (actual, else estimated), clipped
 * to the week; calls that do not touch the week are left out. */
export function bars(calls: readonly Call[], start: Date): Bar[] {
  const from = start.getTime();
  const span = 7 * 86_400_000;
  const out: Bar[] = [];
  for (const call of calls) {
    const arrive = call.ata ?? call.eta;
    if (!arrive) continue;
    const leave = call.atd ?? call.etd;
    const a = new Date(arrive).getTime();
    const b = leave ? new Date(leave).getTime() : from + span;
    if (b < from || a > from + span) continue;
    const left = Math.max(0, (a - from) / span);
    const right = Math.min(1, (b - from) / span);
    out.push({ call, left, width: Math.max(right - left, 0.01), actual: call.ata !== null, open: !leave });
  }
  return out.sort((x, y) => x.left - y.left);
}
