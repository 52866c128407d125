import { render } from 'preact';

function App() {
  return (
    <main>
      <h1>Consent vault</h1>
      <p>Your data, your terms.</p>
    </main>
  );
}

render(<App />, document.getElementById('app')!);
