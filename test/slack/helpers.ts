import type { EmulatorMessage, SlackEmulator } from '../../local/slack-emulator/server';

/** Every text of a message: its fallback text and its blocks, flattened. */
export function messageText(m: EmulatorMessage): string {
  return `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
}

export function findApprovalMessage(e: SlackEmulator): EmulatorMessage | undefined {
  return e.messages().find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes('golive_approve'));
}

export function findCard(e: SlackEmulator, service = 'demo'): EmulatorMessage | undefined {
  return e
    .messages()
    .find((m) => !m.thread_ts && (m.blocks ?? []).some((b) => JSON.stringify(b).includes(`Go-live: ${service}`)));
}

export function threadOf(e: SlackEmulator, ts: string): string[] {
  return e
    .messages()
    .filter((m) => m.thread_ts === ts)
    .map((m) => m.text);
}
