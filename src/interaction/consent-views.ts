import { z } from 'zod';
import type { Consent } from './consent.js';

export const ConsentView = z
  .object({
    client_id: z.string(),
    scopes: z.array(z.string()),
    granted_at: z.string().meta({ format: 'date-time' }),
  })
  .meta({ id: 'Consent', description: 'what a user allowed a third-party client; it is not asked again for these scopes' });

export const ConsentList = z.array(ConsentView).meta({ id: 'ConsentList', description: 'newest first' });

export function consentView(consent: Consent): z.output<typeof ConsentView> {
  return { client_id: consent.clientId, scopes: [...consent.scopes], granted_at: consent.grantedAt.toISOString() };
}
