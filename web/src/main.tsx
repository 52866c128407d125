import { render } from 'preact';
import { App } from './app.tsx';
import { restoreSession } from './session.ts';
import './styles/index.css';

render(<App />, document.getElementById('app')!);
void restoreSession();
