// Bazaar storefront: progressive enhancement only. Every page works without this file.
(() => {
  'use strict';
  document.documentElement.classList.add('js');
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  function toast(text) {
    const el = $('[data-toast]');
    if (!el) return;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { el.hidden = true; }, 2500);
  }

  function setCartCount(count) {
    for (const badge of $$('[data-cart-count]')) {
      badge.textContent = String(count);
      badge.setAttribute('aria-label', `${count} items in cart`);
    }
  }

  // Add to cart without leaving the page; the badge follows.
  for (const form of $$('form[data-add-to-cart]')) {
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const button = $('button[type=submit]', form);
      if (button) button.disabled = true;
      try {
        const res = await fetch(form.action, { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(new FormData(form)), credentials: 'same-origin' });
        if (res.status === 401) { location.href = (await res.json()).signIn; return; }
        if (!res.ok) { form.submit(); return; }
        const data = await res.json();
        setCartCount(data.count);
        toast(`Added ${data.name || 'the item'} to your cart.`);
      } catch {
        form.submit();
      } finally {
        if (button) button.disabled = false;
      }
    });
  }

  // One press per payment form (the server's idempotency key makes a second press harmless anyway).
  for (const button of $$('button[data-once]')) {
    button.form?.addEventListener('submit', () => { setTimeout(() => { button.disabled = true; button.textContent = 'Processing…'; }, 0); });
  }

  const focusMe = $('[data-autofocus]');
  if (focusMe) focusMe.focus();

  // Live order status: long-polls the storefront until the checkout has finished, then updates the page in place.
  const order = $('[data-order-status="PENDING"]');
  if (order) {
    const id = order.getAttribute('data-order-id');
    const show = (s) => {
      order.setAttribute('data-order-status', s.status);
      order.className = `order outcome-${s.kind}`;
      $('[data-order-heading]', order).textContent = s.heading;
      $('[data-order-state]', order).textContent = s.status;
      $('[data-order-summary]', order).textContent = s.summary;
      $('[data-order-money]', order).textContent = s.money;
      $('[data-order-next]', order).textContent = s.next;
      document.title = `${s.heading} · Bazaar`;
      $('.spinner', order)?.remove();
      if (s.status !== 'PENDING') {
        const links = document.createElement('p');
        const confirmed = s.status === 'CONFIRMED';
        links.innerHTML = confirmed
          ? '<a class="button secondary" href="/account">All my orders</a> <a class="button primary" href="/">Continue shopping</a>'
          : '<a class="button primary" href="/checkout">Back to checkout</a> <a class="button secondary" href="/cart">View cart</a>';
        order.append(links);
        if (confirmed) setCartCount(0);
      }
    };
    (async () => {
      for (let attempt = 0; attempt < 60; attempt++) {
        try {
          const res = await fetch(`/orders/${encodeURIComponent(id)}/status`, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
          if (res.ok) {
            const s = await res.json();
            if (s.status !== 'PENDING') return show(s);
          } else {
            await new Promise((r) => setTimeout(r, 2000));
          }
        } catch {
          await new Promise((r) => setTimeout(r, 2000));
        }
      }
    })();
  }

  // Instant search: suggestions while typing; arrows move, Enter opens, Escape closes.
  const input = $('[data-instant-search]');
  const list = $('#suggestions');
  if (input && list) {
    let timer;
    let active = -1;
    let seq = 0;
    const close = () => { list.hidden = true; list.innerHTML = ''; active = -1; input.setAttribute('aria-expanded', 'false'); input.removeAttribute('aria-activedescendant'); };
    const mark = (i) => {
      const items = $$('a', list);
      items.forEach((a, k) => a.setAttribute('aria-selected', String(k === i)));
      active = i;
      if (items[i]) input.setAttribute('aria-activedescendant', items[i].id);
    };
    input.addEventListener('input', () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) return close();
      timer = setTimeout(async () => {
        const mine = ++seq;
        try {
          const res = await fetch(`/search/suggest?q=${encodeURIComponent(q)}`, { headers: { accept: 'application/json' } });
          const data = await res.json();
          if (mine !== seq) return;
          if (!data.items.length) return close();
          list.innerHTML = '';
          data.items.forEach((item, i) => {
            const li = document.createElement('li');
            const a = document.createElement('a');
            a.id = `suggestion-${i}`;
            a.href = item.url;
            a.setAttribute('role', 'option');
            const name = document.createElement('span');
            name.textContent = item.name;
            const price = document.createElement('span');
            price.className = 'muted';
            price.textContent = new Intl.NumberFormat('en-IE', { style: 'currency', currency: item.price.currency }).format(item.price.amount / 100);
            a.append(name, price);
            li.append(a);
            list.append(li);
          });
          list.hidden = false;
          input.setAttribute('aria-expanded', 'true');
        } catch { close(); }
      }, 180);
    });
    input.addEventListener('keydown', (e) => {
      const items = $$('a', list);
      if (list.hidden || !items.length) return;
      if (e.key === 'ArrowDown') { e.preventDefault(); mark((active + 1) % items.length); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); mark((active - 1 + items.length) % items.length); }
      else if (e.key === 'Enter' && active >= 0) { e.preventDefault(); location.href = items[active].href; }
      else if (e.key === 'Escape') close();
    });
    document.addEventListener('click', (e) => { if (!list.contains(e.target) && e.target !== input) close(); });
  }
})();
