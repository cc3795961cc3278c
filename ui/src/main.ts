import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { client } from './api/container-client';
import { createAppRouter } from './router';
import { useAuth } from './stores/auth';
import { useToasts } from './stores/toasts';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
const router = createAppRouter();
app.use(router);

client.onUnauthorized = () => {
  const auth = useAuth(pinia);
  if (auth.phase !== 'ready') return;
  auth.sessionEnded();
  useToasts(pinia).info('Your session ended: log in again.');
};

// Another tab logged out (or in): the token this tab held is dead either way.
client.session.onChange = (token) => {
  const auth = useAuth(pinia);
  if (token === undefined && auth.phase === 'ready') {
    auth.sessionEnded();
    useToasts(pinia).info('You logged out in another tab: log in again.');
  }
};

app.mount('#app');
