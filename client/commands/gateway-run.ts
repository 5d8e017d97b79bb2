/** `opensoul gateway [run]`: the daemon, from its own bundle (client commands never load it, SPEC §2). */
import { command } from '../cli-context.js';

/** `gateway run` (the group's default). */
export const run = command(async ({ ctx }) => {
  const entry = (await ctx.importModule(ctx.gatewayEntry)) as { runGateway: (o: { foreground: boolean }) => Promise<void> };
  await entry.runGateway({ foreground: true });
});
