/**
 * @module ui/dialog
 * A modal confirmation (<dialog>, keyboard-accessible: focus moves into it, Esc cancels).
 */
import { h } from './dom.js';

/** Asks; resolves true when the user confirms. */
export function confirmDialog(title: string, message: string, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const ok = h('button', { type: 'button', class: 'danger' }, confirmLabel);
    const dlg = h('dialog', { 'aria-labelledby': 'dlg-title', class: 'confirm' }, h('h2', { id: 'dlg-title' }, title), h('p', {}, message), h('div', { class: 'row' }, cancel, ok));
    const done = (v: boolean) => {
      dlg.close();
      dlg.remove();
      resolve(v);
    };
    cancel.addEventListener('click', () => done(false));
    ok.addEventListener('click', () => done(true));
    dlg.addEventListener('cancel', (e) => {
      e.preventDefault();
      done(false);
    });
    document.body.append(dlg);
    dlg.showModal();
    cancel.focus();
  });
}
