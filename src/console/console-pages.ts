import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { AUDIT_EVENT_TYPES } from '../audit/audit-event.js';
import { clearedFlashCookie, FLASH_COOKIE, type FlashCode, flashCookie, flashOf } from '../account-page/flash.js';
import type { CookieSet, RequestCookies } from '../browser/cookies.js';
import { CsrfTokens } from '../browser/csrf-tokens.js';
import type { Page } from '../common/page.js';
import type { ResolvedConfig } from '../config/config.js';
import { CONFIG } from '../config/config.module.js';
import { encodeCursor } from '../http/pagination.js';
import { InteractionPages } from '../interaction/interaction-pages.service.js';
import { type PageName, Pages } from '../interaction/pages.js';
import { ADMIN_ROLE, type User } from '../users/user.js';
import type { EventsView } from './console-events.service.js';
import type { ConsoleAdmin } from './console-sign-in.service.js';
import { sessionState, type UserDetail } from './console-users.service.js';
import { eventRow } from './event-rows.js';
import { type EventsQuery, queryOfFilter } from './events-filter.js';

type ConsolePageName = Extract<PageName, `console-${string}`>;

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const FORBIDDEN = 'The console is for administrators only. Sign in with an admin account, or ask an administrator.';

const time = (date: Date | null) => date?.toISOString();

/**
 * Sends the console's pages (Tessera's page headers: no-store, no framing, no script)
 * and the redirects after its posts. Every form of a page carries one CSRF token bound
 * to the console session.
 */
@Injectable()
export class ConsolePages {
  private readonly origin: string;

  constructor(
    private readonly pages: Pages,
    private readonly csrf: CsrfTokens,
    private readonly interaction: InteractionPages,
    @Inject(CONFIG) config: ResolvedConfig,
  ) {
    this.origin = new URL(config.issuer).origin;
  }

  get base(): string {
    return this.pages.base;
  }

  users(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, q: string, found: Page<User>): void {
    const next = found.next && new URLSearchParams({ ...(q ? { q } : {}), cursor: encodeCursor(found.next) }).toString();
    this.send(reply, 'console-users', {
      ...this.common(reply, cookies, admin),
      title: 'Users',
      q,
      next,
      users: found.items.map((user) => ({ id: user.id, username: user.username, email: user.email, admin: user.roles.includes(ADMIN_ROLE), disabled: user.disabledAt !== null })),
    });
  }

  user(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, detail: UserDetail, now: number): void {
    const { user } = detail;
    this.send(reply, 'console-user', {
      ...this.common(reply, cookies, admin),
      title: user.username,
      user: { id: user.id, username: user.username, disabled: user.disabledAt !== null, roles: user.roles.join(', '), email: user.email, name: user.name, createdAt: time(user.createdAt) },
      sessions: detail.sessions.map((family) => ({
        id: family.id,
        clientId: family.clientId,
        state: sessionState(family, now),
        createdAt: time(family.createdAt),
        lastUsedAt: time(family.lastUsedAt),
        endedAt: time(family.revokedAt),
        ip: family.ip,
        userAgent: family.userAgent,
      })),
      more: detail.more,
      secondFactor: detail.secondFactor,
    });
  }

  /** Reuse detections stand out, with why: they are what an admin looks for first. */
  events(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, query: EventsQuery, view: EventsView): void {
    const kept = queryOfFilter(query);
    const next = view.events.next && new URLSearchParams({ ...kept, cursor: encodeCursor(view.events.next) }).toString();
    this.send(reply, 'console-events', {
      ...this.common(reply, cookies, admin),
      title: 'Security events',
      types: AUDIT_EVENT_TYPES,
      type: query.type ?? '',
      user: query.user ?? '',
      client: query.client ?? '',
      from: query.from ?? '',
      to: query.to ?? '',
      filtered: Object.keys(kept).length > 0,
      next,
      events: view.events.items.map(eventRow),
      chart: view.chart,
    });
  }

  /** The generated password, in the answer to the post itself: shown once, never in a URL or a cookie. */
  password(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, user: User, password: string): void {
    this.send(reply, 'console-password', { ...this.common(reply, cookies, admin), title: 'Password reset', username: user.username, userId: user.id, password });
  }

  /** A console page: the navigation's admin and CSRF token, the one-time message, then the page's own data. */
  show(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin, name: ConsolePageName, title: string, data: Record<string, unknown>): void {
    this.send(reply, name, { ...this.common(reply, cookies, admin), title, ...data });
  }

  forbidden(reply: FastifyReply, cookies: readonly CookieSet[] = []): void {
    this.setCookies(reply, cookies);
    this.interaction.error(reply, 403, 'access_denied', FORBIDDEN);
  }

  /** 303 See Other to a path of this server (post/redirect/get), or 302 after a GET. */
  redirect(reply: FastifyReply, path: string, flash?: FlashCode, status: 302 | 303 = 303): void {
    if (flash !== undefined) this.setCookies(reply, [flashCookie(flash)]);
    void reply.status(status).headers({ ...NO_STORE, location: `${this.origin}${path}` }).send();
  }

  /** Elsewhere (Tessera's own /oauth/authorize), after a GET. */
  redirectTo(reply: FastifyReply, location: string): void {
    void reply.status(302).headers({ ...NO_STORE, location }).send();
  }

  toUser(reply: FastifyReply, userId: string, flash: FlashCode): void {
    this.redirect(reply, `${this.base}/console/users/${userId}`, flash);
  }

  setCookies(reply: FastifyReply, cookies: readonly CookieSet[]): void {
    this.interaction.setCookies(reply, cookies);
  }

  private common(reply: FastifyReply, cookies: RequestCookies, admin: ConsoleAdmin) {
    return {
      wide: true,
      admin: admin.user.username,
      csrf: this.csrf.issue({ kind: 'console', sessionId: admin.session.id }),
      flash: this.takeFlash(reply, cookies),
    };
  }

  private send(reply: FastifyReply, name: ConsolePageName, data: Record<string, unknown>): void {
    void reply.status(200).headers(this.pages.headers()).send(this.pages.render(name, data));
  }

  private takeFlash(reply: FastifyReply, cookies: RequestCookies) {
    const code = cookies.only(FLASH_COOKIE);
    if (code === undefined) return undefined;
    this.setCookies(reply, [clearedFlashCookie()]);
    return flashOf(code);
  }
}
