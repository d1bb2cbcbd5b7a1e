import { useEffect, useRef, useState } from 'react'
import { Link, useNavigate } from 'react-router'
import { redeemSignIn } from '../api/endpoints'
import { ErrorNote, Loading } from '../components/status'
import { signedInThroughProvider, takePendingSignIn } from '../session/identity-provider'
import { useSession } from '../session/session-context'
import { useDocumentTitle } from '../use-document-title'

/**
 * `/sign-in/callback`: where the identity provider sends the browser back. The answer must be for
 * the sign-in this tab started (its state); the server redeems the code with the verifier and
 * nonce the tab kept, and the token it answers signs the tab in like a pasted one.
 */
export function SignInCallbackPage() {
  useDocumentTitle('Signing in')
  const { signIn } = useSession()
  const navigate = useNavigate()
  const [error, setError] = useState<unknown>()
  // Once per page load: React runs effects twice in development, and a code is good only once.
  const started = useRef(false)

  useEffect(() => {
    if (started.current) return
    started.current = true
    const answer = new URLSearchParams(window.location.search)
    const pending = takePendingSignIn()
    // The code and state are not left in the address bar (or its history) once read.
    navigate({ pathname: window.location.pathname }, { replace: true })
    const finish = async () => {
      // The state first: until it is this tab's, nothing of the answer is shown (anyone can
      // make a link to this page with an "error_description" of their own wording).
      if (!pending) throw new Error('this tab did not start a sign-in (or it was already completed): start again from the sign-in page')
      if (answer.get('state') !== pending.state) throw new Error('the identity provider’s answer is not for the sign-in this tab started: start again from the sign-in page')
      const refusal = answer.get('error')
      if (refusal) throw new Error(`the identity provider did not sign you in: ${answer.get('error_description') ?? refusal}`)
      const code = answer.get('code')
      if (!code) throw new Error('the identity provider sent no code back: start again from the sign-in page')
      const iss = answer.get('iss')
      const { token } = await redeemSignIn({ code, state: pending.state, ...(iss ? { iss } : {}), codeVerifier: pending.codeVerifier, nonce: pending.nonce, redirectUri: pending.redirectUri })
      await signIn(token)
      signedInThroughProvider()
      navigate(pending.from, { replace: true })
    }
    finish().catch(setError)
  }, [navigate, signIn])

  if (!error) return <Loading what="your sign-in" />
  return (
    <section className="sign-in" aria-labelledby="callback-title">
      <h1 id="callback-title">Not signed in</h1>
      <ErrorNote error={error} title="The sign-in did not complete" advice="Start again from the sign-in page: the identity provider’s answer is good for one sign-in only, so reloading this page does not help." />
      <p>
        <Link to="/sign-in">Back to sign-in</Link>
      </p>
    </section>
  )
}
