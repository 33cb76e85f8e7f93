"""The person in front of the browser: opens the authorization URL a client library built,
signs in on Tessera's login page, allows on the consent page, and hands back the URL the
browser is finally redirected to (the client's redirect URI with code, state and iss).

Plain requests with a cookie jar plays the browser; it sends the Origin and Sec-Fetch-Site
headers a browser sends on a form post, which Tessera's pages require.
"""
import json
import os
import re
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests


class FormParser(HTMLParser):
    """The action and hidden fields of the page's first form (the login page's second one is
    the passkey sign-in, which needs a browser with WebAuthn), and whether it asks for a
    password."""

    def __init__(self):
        super().__init__()
        self.action = None
        self.fields = {}
        self.password = False
        self.done = False

    def handle_endtag(self, tag):
        if tag == 'form' and self.action is not None:
            self.done = True

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.done:
            return
        if tag == 'form':
            self.action = attributes.get('action')
        elif tag == 'input' and attributes.get('type') == 'hidden':
            self.fields[attributes['name']] = attributes.get('value', '')
        elif tag == 'input' and attributes.get('type') == 'password':
            self.password = True


def page_message(html):
    """The message of one of Tessera's pages (an error page says what went wrong there)."""
    found = re.search(r'<p class="message"[^>]*>(.*?)</p>', html, re.S)
    return found.group(1) if found else html[:300]


def browser():
    return LoopbackBrowser()


class LoopbackBrowser(requests.Session):
    """Browsers treat http://127.0.0.1 as a secure context and send its Secure (__Host-)
    cookies back to it; Python's cookie jar sends them over https only (and requests copies
    the jar into one with the default policy for each request), so the flag is dropped
    before each request."""

    def request(self, *args, **kwargs):
        for cookie in self.cookies:
            if cookie.domain == '127.0.0.1':
                cookie.secure = False
        return super().request(*args, **kwargs)


def sign_in(url, redirect_uri, username, password, steps=6):
    """Follows the pages from `url` until Tessera redirects to `redirect_uri`; returns that URL."""
    session = browser()
    response = session.get(url, allow_redirects=False, headers={'Sec-Fetch-Site': 'cross-site'})
    for _ in range(steps):
        if response.is_redirect:
            location = urljoin(response.url, response.headers['Location'])
            if location.startswith(redirect_uri):
                return location
            response = session.get(location, allow_redirects=False, headers={'Sec-Fetch-Site': 'same-origin'})
            continue
        if response.status_code != 200:
            raise RuntimeError(f'unexpected page {response.status_code}: {page_message(response.text)}')
        form = FormParser()
        form.feed(response.text)
        if form.action is None:
            raise RuntimeError(f'no form on the page: {response.text[:300]}')
        fields = dict(form.fields)
        if form.password:
            fields.update(username=username, password=password)
        else:
            fields['decision'] = 'allow'
        origin = '{0.scheme}://{0.netloc}'.format(urlsplit(response.url))
        response = session.post(
            urljoin(response.url, form.action),
            data=fields,
            allow_redirects=False,
            headers={'Origin': origin, 'Sec-Fetch-Site': 'same-origin'},
        )
    raise RuntimeError('no redirect to the client after the login and consent pages')


def arguments():
    """What the test gives: issuer, client, redirect URI, scope and the user (secrets kept off argv)."""
    return json.loads(os.environ['TESSERA_LOGIN'])


def report(result):
    json.dump(result, sys.stdout)
    sys.stdout.write('\n')
