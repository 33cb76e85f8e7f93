"""A user login through requests-oauthlib's own authorization code path: authorization_url,
fetch_token from the redirect URL (client_secret_basic), then refresh_token. Prints the
tokens and the redirect URL as JSON."""
import os

import requests
from requests_oauthlib import OAuth2Session

from person import arguments, report, sign_in

# oauthlib refuses http URLs; the test's redirect URI is the loopback one of RFC 8252 §7.3.
os.environ['OAUTHLIB_INSECURE_TRANSPORT'] = '1'

given = arguments()
metadata = requests.get(given['issuer'] + '/.well-known/oauth-authorization-server').json()
session = OAuth2Session(given['client_id'], scope=given['scope'].split(), redirect_uri=given['redirect_uri'])
# Debian bookworm's requests-oauthlib (1.3.0) has no `pkce='S256'` option yet (it came in
# 2.0.0): the verifier and the S256 challenge come from the session's oauthlib client (its
# RFC 7636 helpers, oauthlib 3.2) and go out as extra parameters of the library's own calls.
verifier = session._client.create_code_verifier(64)
challenge = session._client.create_code_challenge(verifier, 'S256')
url, state = session.authorization_url(
    metadata['authorization_endpoint'], code_challenge=challenge, code_challenge_method='S256'
)
callback = sign_in(url, given['redirect_uri'], given['username'], given['password'])
# With a client secret, requests-oauthlib authenticates with HTTP Basic (client_secret_basic).
token = session.fetch_token(
    metadata['token_endpoint'],
    authorization_response=callback,
    client_secret=given['client_secret'],
    code_verifier=verifier,
)
refreshed = session.refresh_token(
    metadata['token_endpoint'],
    auth=requests.auth.HTTPBasicAuth(given['client_id'], given['client_secret']),
)
report({'state': state, 'callback': callback, 'token': dict(token), 'refreshed': dict(refreshed)})
