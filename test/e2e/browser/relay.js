// A phishing page's script (loaded by the passkeys test on an evil.localhost page): it asks
// the browser's authenticator to sign a challenge relayed from Tessera for its own RP ID,
// and answers the credential as the JSON Tessera's login form carries.
window.relay = async function relay(challenge, rpId) {
  const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const publicKey = { challenge: bytes(challenge), rpId, userVerification: 'required' };
  const credential = await navigator.credentials.get({ publicKey, signal: AbortSignal.timeout(15000) });
  const response = credential.response;
  return JSON.stringify({
    id: credential.id,
    rawId: text(credential.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: text(response.clientDataJSON),
      authenticatorData: text(response.authenticatorData),
      signature: text(response.signature),
      ...(response.userHandle ? { userHandle: text(response.userHandle) } : {}),
    },
    clientExtensionResults: {},
  });
};
