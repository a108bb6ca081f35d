/**
 * Some of the most common passwords from public breach corpora (the top of
 * SecLists' 10k-most-common, NCSC's PwnedPasswordsTop100k and yearly
 * "worst passwords" lists), plus frequent 10+ character ones since shorter
 * ones already fail the length rule. Compared lowercased. A first line of
 * defence only; checking the full Pwned Passwords range API is a follow-up.
 */
export const COMMON_PASSWORDS: ReadonlySet<string> = new Set([
  '123456', '123456789', '12345678', '12345', '1234567', '1234567890', '0123456789', '0987654321',
  '111111', '1111111111', '000000', '0000000000', '123123', '123123123', '123321', '654321',
  '666666', '121212', '112233', '7777777', '987654321', '123qwe', '1q2w3e4r', '1q2w3e4r5t',
  '1q2w3e4r5t6y', '1qaz2wsx', '1qaz2wsx3edc', 'qazwsx', 'qazwsxedc', 'zaq12wsx', 'zxcvbnm', 'zxcvbnm123',
  'asdfghjkl', 'asdfghjkl1', 'qwerty', 'qwerty123', 'qwerty1234', 'qwerty12345', 'qwerty123456', 'qwertyuiop',
  'qwertyuiop1', 'qwertyuiop123', 'password', 'password1', 'password12', 'password123', 'password1234',
  'password12345', 'password123456', 'password!', 'password1!', 'passw0rd', 'p@ssw0rd', 'p@ssword1',
  'p@ssw0rd123', 'passwordpassword', 'mypassword', 'mypassword1', 'changeme', 'changeme123', 'letmein',
  'letmein123', 'letmeinnow', 'welcome', 'welcome1', 'welcome123', 'welcome1234', 'iloveyou', 'iloveyou1',
  'iloveyou123', 'iloveyouforever', 'princess', 'princess123', 'sunshine', 'sunshine123', 'football',
  'football123', 'baseball', 'basketball', 'basketball1', 'superman', 'superman123', 'batman', 'batman123',
  'spiderman', 'spiderman1', 'starwars', 'starwars123', 'pokemon123', 'dragon', 'dragonball', 'monkey',
  'monkey123', 'shadow', 'master', 'master123', 'michael', 'jennifer', 'jessica', 'charlie', 'computer',
  'computer1', 'internet', 'internet1', 'abc123', 'abcd1234', 'abcdefghij', 'abcdefg123', 'admin',
  'admin123', 'admin1234', 'administrator', 'administrator1', 'root', 'toor', 'trustno1', 'whatever',
  'whatever123', 'freedom', 'freedom123', 'secret', 'secret123', 'mysecret123', 'default', 'default123',
  'test123', 'testtest', 'testing123', 'testpassword', 'guest', 'guest12345', 'login', 'login12345',
  'hello123', 'helloworld', 'helloworld1', 'loveyou123', 'lovelove', 'blink182', 'liverpool', 'chelsea',
  'arsenal123', 'manchester', 'manchesterunited', 'yankees', 'mustang', 'harley', 'ranger', 'access',
  'access123', 'flower', 'hunter2', 'hottie', 'soccer', 'soccer123', 'summer2024', 'summer2025',
  'winter2024', 'winter2025', 'spring2025', 'autumn2025', 'december', 'september', 'aaaaaaaaaa',
  'aaaaaaaaaaaa', 'qqqqqqqqqq', '1234512345', '1122334455', '5555555555', '9876543210', 'q1w2e3r4t5',
  'q1w2e3r4t5y6', 'a1b2c3d4e5', 'asdf1234', 'asdfasdfasdf', 'bazaar1234', 'bazaarpassword', 'ecommerce1',
  'shopping123',
]);
