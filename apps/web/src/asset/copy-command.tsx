import { useState } from 'react'

/** The command that fetches this version, and a button that copies it. */
export function CopyCommand({ command }: { command: string }) {
  const [copied, setCopied] = useState<'yes' | 'no'>()
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(command)
      setCopied('yes')
    } catch {
      // The clipboard needs a secure context (https or localhost): the command stays selectable.
      setCopied('no')
    }
  }
  return (
    <div className="copy-command">
      <code>{command}</code>
      <button type="button" onClick={copy}>
        Copy command
      </button>
      <span aria-live="polite" className="muted">
        {copied === 'yes' ? 'Copied.' : copied === 'no' ? 'The browser refused the clipboard: select the command and copy it.' : ''}
      </span>
    </div>
  )
}
