import { ClientChange, NewClient, SecretRotation } from '../admin/admin-clients.controller.js';
import { parseInput } from '../http/schema-input.js';
import { FormParams } from '../oauth/form/form-params.js';
import { clientSettingsOf, newClientOf, secretRotationOf } from './client-form.js';

const form = (fields: Record<string, string>) => FormParams.parse(new URLSearchParams(fields).toString());

describe('the console\'s client forms, read as the admin API\'s bodies', () => {
  it('reads a new client: ticked grants and boxes, space-separated scopes, one URI a line, empty texts left out', () => {
    const body = newClientOf(
      form({
        client_id: ' shop ',
        type: 'public',
        grant_authorization_code: 'yes',
        grant_refresh_token: 'yes',
        scopes: ' openid  profile ',
        redirect_uris: 'https://shop.example/cb\r\n\r\n https://shop.example/other ',
        first_party: 'yes',
        audience: '  ',
        csrf_token: 'x',
        confirm: 'yes',
      }),
    );
    expect(body).toEqual({
      client_id: 'shop',
      type: 'public',
      grant_types: ['refresh_token', 'authorization_code'],
      scopes: ['openid', 'profile'],
      redirect_uris: ['https://shop.example/cb', 'https://shop.example/other'],
      post_logout_redirect_uris: [],
      origins: [],
      introspect: false,
      first_party: true,
      require_par: false,
      require_mfa: false,
      dpop_bound_access_tokens: false,
      backchannel_logout_session_required: false,
    });
    expect(parseInput(NewClient, body, 'form')).toMatchObject({ client_id: 'shop', first_party: true });
  });

  it('a change removes what the form leaves empty', () => {
    const body = clientSettingsOf(form({ grant_client_credentials: 'yes', access_token_format: 'opaque' }), 'remove');
    expect(body).toMatchObject({ audience: null, client_name: null, backchannel_logout_uri: null, access_token_format: 'opaque', scopes: [] });
    expect(parseInput(ClientChange, body, 'form')).toMatchObject({ audience: null, grant_types: ['client_credentials'] });
  });

  it('leaves a box with another value, a missing id and a bad grace for the schemas to refuse, naming the field', () => {
    expect(() => parseInput(NewClient, newClientOf(form({ type: 'confidential', introspect: 'on' })), 'form')).toThrow(
      'invalid form: client_id: required; introspect: must be true or false',
    );
    expect(() => parseInput(SecretRotation.required(), secretRotationOf(form({ grace_seconds: '1h' })), 'form')).toThrow('grace_seconds: must be an integer from 0 to 604800');
    expect(() => parseInput(SecretRotation.required(), secretRotationOf(form({ grace_seconds: '604801' })), 'form')).toThrow('grace_seconds: must be an integer from 0 to 604800');
    expect(() => parseInput(SecretRotation.required(), secretRotationOf(form({})), 'form')).toThrow('grace_seconds: required');
    expect(parseInput(SecretRotation.required(), secretRotationOf(form({ grace_seconds: '0' })), 'form')).toEqual({ grace_seconds: 0 });
  });
});
