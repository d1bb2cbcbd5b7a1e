import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { BrowserRouter } from 'react-router'
import { App } from './app'
import { askEarly } from './lineage/lineage-request'
import { SessionProvider } from './session/session-context'
import './styles.css'

// A lineage page opened directly fetches its graph libraries (a lazy chunk) and its graph at
// once, alongside the session check, instead of after the first render.
if (window.location.pathname.startsWith('/lineage/')) {
  void import('./pages/lineage-page')
  askEarly(window.location.pathname, window.location.search)
}

const root = document.getElementById('root')
if (!root) throw new Error('index.html has no #root')

createRoot(root).render(
  <StrictMode>
    <BrowserRouter>
      <SessionProvider>
        <App />
      </SessionProvider>
    </BrowserRouter>
  </StrictMode>,
)
