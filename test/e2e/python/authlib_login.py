"""A user login through Authlib's own authorization code path (its requests integration):
create_authorization_url with a PKCE S256 verifier, fetch_token from the redirect URL,
then refresh_token. Prints the tokens and the redirect URL as JSON."""
import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from person import arguments, report, sign_in

given = arguments()
metadata = requests.get(given['issuer'] + '/.well-known/oauth-authorization-server').json()
client = OAuth2Session(
    given['client_id'],
    given['client_secret'],
    token_endpoint_auth_method='client_secret_post',
    scope=given['scope'],
    redirect_uri=given['redirect_uri'],
    code_challenge_method='S256',
)
verifier = generate_token(48)
url, state = client.create_authorization_url(metadata['authorization_endpoint'], code_verifier=verifier)
callback = sign_in(url, given['redirect_uri'], given['username'], given['password'])
# Authlib checks the state against the one it made, then sends code, redirect_uri and the verifier.
token = client.fetch_token(metadata['token_endpoint'], authorization_response=callback, code_verifier=verifier)
refreshed = client.refresh_token(metadata['token_endpoint'])
report({'state': state, 'callback': callback, 'token': dict(token), 'refreshed': dict(refreshed)})
