// An Ethereum JSON-RPC endpoint over HTTP(S), as the Ethereum anchor check takes it: (method, params) => result.
// Uses fetch (browsers, Node 18+); never sends credentials; a transport failure, an HTTP error or a JSON-RPC error is
// thrown, and the anchor check reports it as ERROR (an unreachable ledger is never VALID).

/** @param {string} url @returns {(method: string, params: any[]) => Promise<any>} */
export function jsonRpcOverHttp(url) {
  let id = 0;
  return async (method, params) => {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'omit',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const body = await response.json();
    if (body.error) throw new Error(`JSON-RPC error ${body.error.code}: ${body.error.message}`);
    return body.result;
  };
}
