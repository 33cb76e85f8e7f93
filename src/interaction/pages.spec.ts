import { cspSourceOf, Pages } from './pages.js';
import type { ResolvedConfig } from '../config/config.js';

describe('Pages', () => {
  const pages = new Pages({ issuer: 'https://auth.example.com/tenant' } as ResolvedConfig);

  it('escapes everything it is given, in text and in attributes', () => {
    const html = pages.render('login', {
      title: 'Sign in',
      clientName: '<script>alert(1)</script>',
      carried: [['state', '"><img src=x onerror=alert(1)>']],
      csrf: 'token',
      username: "o'neil\"<b>",
      message: '<i>wrong</i>',
    });
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<i>wrong');
    expect(html).toContain('&lt;script&gt;');
    expect(html).toContain('value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"');
    expect(html).toContain('<form method="post" action="/tenant/interaction/login">');
    expect(html).toContain('<input id="password" name="password" type="password"');
    expect(html).toContain('href="/tenant/assets/tessera.css"');
    // No inline script: the passkey scripts are Tessera's own assets, empty elements with a src.
    expect(html.match(/<script[^>]*>[^<]*<\/script>/gi)).toEqual([
      '<script src="/tenant/assets/webauthn.js" defer></script>',
      '<script src="/tenant/assets/passkeys.js" defer></script>',
    ]);
    expect(html.replace(/<script src="\/tenant\/assets\/[a-z]+\.js" defer><\/script>/g, '')).not.toMatch(/<script|<style|\sstyle=/i);
    expect(html).toContain('autocomplete="username webauthn"');
  });

  it('renders the consent buttons the contract names', () => {
    const html = pages.render('consent', { title: 'Allow access', clientName: 'shop', scopes: ['read'], carried: [], csrf: 't' });
    expect(html).toContain('<button type="submit" name="decision" value="allow">');
    expect(html).toContain('<button type="submit" name="decision" value="deny"');
    expect(html).toContain('<code>read</code>');
  });

  it('renders the logout confirmation with the button the contract names, escaping what it carries', () => {
    const html = pages.render('logout', {
      title: 'Sign out',
      clientId: '<b>notes</b>',
      username: 'ada',
      carried: [['state', '"><script>x()</script>']],
      csrf: 't',
    });
    expect(html).toContain('<button type="submit" name="logout" value="yes">');
    expect(html).toContain('<form method="post" action="/tenant/interaction/logout">');
    expect(html).toContain('&lt;b&gt;notes&lt;/b&gt;');
    expect(html).toContain('value="&quot;&gt;&lt;script&gt;x()&lt;/script&gt;"');
    expect(html).not.toMatch(/<script|<b>/i);
    expect(pages.render('logged-out', { title: 'Signed out' })).toContain('You are signed out of Tessera.');
  });

  it('forbids framing and scripts, and lets a form redirect only to its own client', () => {
    const csp = pages.headers('https://app.example.com')['content-security-policy'];
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(csp).toContain("form-action 'self' https://app.example.com");
    expect(pages.headers()['cache-control']).toBe('no-store');
    const withScripts = pages.headers('https://app.example.com', { scripts: true })['content-security-policy'];
    expect(withScripts).toContain("script-src 'self'; connect-src 'self';");
    expect(withScripts).not.toMatch(/unsafe-|script-src [^;]*[^;' ]https?:/);
  });

  it('names a redirect URI in CSP by origin, or by scheme for a private-use scheme', () => {
    expect(cspSourceOf('https://app.example.com:8443/cb?x=1')).toBe('https://app.example.com:8443');
    expect(cspSourceOf('com.example.app:/oauth2redirect')).toBe('com.example.app:');
  });
});
