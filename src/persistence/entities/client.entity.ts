import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { AccessTokenFormat, ClientType, GrantType } from '../../clients/client.js';

@Entity({ name: 'clients' })
export class ClientEntity {
  @PrimaryColumn('text') id: string;
  @Column('text') type: ClientType;
  @Column('bytea', { name: 'secret_hash', nullable: true }) secretHash: Buffer | null;
  @Column('bytea', { name: 'previous_secret_hash', nullable: true }) previousSecretHash: Buffer | null;
  @Column('timestamptz', { name: 'previous_secret_expires_at', nullable: true }) previousSecretExpiresAt: Date | null;
  @Column('text', { name: 'grant_types', array: true }) grantTypes: GrantType[];
  @Column('text', { array: true }) scopes: string[];
  @Column('text', { array: true }) permissions: string[];
  @Column('text', { name: 'allowed_origins', array: true }) allowedOrigins: string[];
  @Column('text', { name: 'access_token_format' }) accessTokenFormat: AccessTokenFormat;
  @Column('text', { nullable: true }) audience: string | null;
  @Column('text', { name: 'redirect_uris', array: true }) redirectUris: string[];
  @Column('text', { name: 'post_logout_redirect_uris', array: true }) postLogoutRedirectUris: string[];
  @Column('boolean', { name: 'first_party' }) firstParty: boolean;
  @Column('boolean', { name: 'require_par' }) requirePar: boolean;
  @Column('text', { name: 'client_name', nullable: true }) name: string | null;
  @Column('boolean', { name: 'require_dpop' }) requireDpop: boolean;
  @Column('boolean', { name: 'require_mfa', default: false }) requireMfa: boolean;
  @Column('text', { name: 'backchannel_logout_uri', nullable: true }) backchannelLogoutUri: string | null;
  @Column('boolean', { name: 'backchannel_logout_session_required', default: true }) backchannelLogoutSessionRequired: boolean;
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
}
