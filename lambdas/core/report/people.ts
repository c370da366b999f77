import type { ActorVerification } from '../roles';

/** Someone (or something) who acted in a go-live, as the audit trail recorded them. */
export interface Actor {
  id: string;
  /** Display name when the trail recorded one (Slack users.info). */
  name?: string;
  /** How their identity was established; absent on records written before it was kept. */
  verifiedBy?: ActorVerification;
}

const VERIFICATION: Record<ActorVerification, string> = {
  slack: 'verified by Slack',
  iam: 'verified by IAM',
  local: 'local (unverified)',
  system: 'system',
};

/** "Ana Lopez (U_APPROVER_ANA)" where a name was recorded, else the id alone. */
export function actorLabel(actor: Pick<Actor, 'id' | 'name'>): string {
  return actor.name && actor.name !== actor.id ? `${actor.name} (${actor.id})` : actor.id;
}

/** How an actor was verified, in words; `unrecorded` for records that did not say. */
export function verificationLabel(verifiedBy: ActorVerification | undefined): string {
  return verifiedBy && Object.hasOwn(VERIFICATION, verifiedBy) ? VERIFICATION[verifiedBy] : 'unrecorded';
}

/**
 * One line for a terminal: "Ana Lopez (U_APPROVER_ANA) [verified by Slack]". golive's own steps
 * (`system`) and records that did not say how their actor was verified get no bracket.
 */
export function actorText(actor: Actor): string {
  const label = actorLabel(actor);
  if (!actor.verifiedBy || (actor.id === 'system' && actor.verifiedBy === 'system')) return label;
  return `${label} [${verificationLabel(actor.verifiedBy)}]`;
}
