/**
 * Turns watcher hints into reloads: a short trailing debounce (a burst of saves becomes one
 * re-read of the final content), one follow-up re-read after chokidar's 50 ms change throttle
 * (whose suppressed last event would otherwise leave us on an intermediate version), and a slow
 * periodic pass as the safety net for everything a watcher can miss. Every pass is a hash
 * comparison, so extra passes cost a few small reads and change nothing.
 */

export interface SchedulerOptions {
  reloadNow: (trigger: 'watch' | 'periodic') => Promise<unknown>;
  /** Runs before each periodic reload (re-arm the watcher, check the socket). */
  beforePeriodic?: () => Promise<void>;
  onError: (err: unknown) => void;
  debounceMs?: number;
  followUpMs?: number;
  periodicMs?: number;
}

export class ReloadScheduler {
  private debounce: NodeJS.Timeout | null = null;
  private followUp: NodeJS.Timeout | null = null;
  private periodic: NodeJS.Timeout | null = null;
  private periodicRunning = false;
  private stopped = false;

  constructor(private readonly opts: SchedulerOptions) {}

  start(): void {
    this.periodic = setInterval(() => void this.runPeriodic(), this.opts.periodicMs ?? 2000);
    this.periodic.unref();
  }

  /** Something may have changed. */
  hint(): void {
    if (this.stopped) return;
    if (this.debounce) clearTimeout(this.debounce);
    if (this.followUp) clearTimeout(this.followUp);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.run('watch');
      this.followUp = setTimeout(() => {
        this.followUp = null;
        this.run('watch');
      }, this.opts.followUpMs ?? 100);
    }, this.opts.debounceMs ?? 20);
  }

  private run(trigger: 'watch' | 'periodic'): void {
    this.opts.reloadNow(trigger).catch((err: unknown) => this.opts.onError(err));
  }

  private async runPeriodic(): Promise<void> {
    if (this.stopped || this.periodicRunning) return;
    this.periodicRunning = true;
    try {
      await this.opts.beforePeriodic?.();
      await this.opts.reloadNow('periodic');
    } catch (err) {
      this.opts.onError(err);
    } finally {
      this.periodicRunning = false;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of [this.debounce, this.followUp]) if (t) clearTimeout(t);
    if (this.periodic) clearInterval(this.periodic);
  }
}
