/** Text a user could type (a language code, a relation id, a prompt), which must stay text. */
export const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
