import { createHash } from 'node:crypto';
import { seededRandom } from '@bazaar/kit';

/** A product as the seed produces it (no timestamps: the store adds them). */
export interface SeedProduct {
  id: string;
  sku: string;
  name: string;
  description: string;
  category: string;
  priceAmount: number;
}

export interface SeedCategory {
  slug: string;
  name: string;
}

interface CategoryPlan extends SeedCategory {
  prefix: string;
  brands: string[];
  adjectives: string[];
  nouns: string[];
  /** Price range in minor units. */
  price: [number, number];
  uses: string[];
}

const PLANS: CategoryPlan[] = [
  { slug: 'audio', name: 'Audio', prefix: 'AUD', brands: ['Sonora', 'Bassline', 'Auralis', 'Tempo', 'Quietwave'], adjectives: ['Wireless', 'Noise-Cancelling', 'Studio', 'Over-Ear', 'Compact', 'Hi-Fi'], nouns: ['Headphones', 'Earbuds', 'Speaker', 'Soundbar', 'Turntable', 'Headphones'], price: [1999, 39999], uses: ['long commutes', 'home studios', 'late-night listening', 'the gym'] },
  { slug: 'electronics', name: 'Electronics', prefix: 'ELE', brands: ['Voltix', 'Nimbus', 'Arcway', 'Lumen', 'Pixelon'], adjectives: ['Smart', '4K', 'Portable', 'Rechargeable', 'Ultra-Slim', 'Waterproof'], nouns: ['Camera', 'Smartwatch', 'Power Bank', 'Projector', 'Drone', 'E-Reader'], price: [1499, 89999], uses: ['travel', 'everyday carry', 'weekend projects', 'family movie nights'] },
  { slug: 'computers', name: 'Computers', prefix: 'CMP', brands: ['Corebyte', 'Stackline', 'Northbit', 'Keystone', 'Vertex'], adjectives: ['Mechanical', 'Ergonomic', 'Gaming', '27-inch', 'USB-C', 'Silent'], nouns: ['Keyboard', 'Mouse', 'Monitor', 'Laptop Stand', 'Docking Station', 'SSD'], price: [1999, 149999], uses: ['long coding sessions', 'home offices', 'competitive gaming', 'creative work'] },
  { slug: 'home-kitchen', name: 'Home & Kitchen', prefix: 'HOM', brands: ['Hearth', 'Copperleaf', 'Mistral', 'Oakhouse', 'Pantry & Co'], adjectives: ['Cast-Iron', 'Stainless', 'Non-Stick', 'Ceramic', 'Programmable', 'Bamboo'], nouns: ['Skillet', 'Kettle', 'Coffee Grinder', 'Knife Set', 'Blender', 'Cutting Board'], price: [999, 29999], uses: ['weeknight dinners', 'slow Sunday breakfasts', 'small kitchens', 'hosting friends'] },
  { slug: 'books', name: 'Books', prefix: 'BOK', brands: ['Northwind Press', 'Inkwell', 'Paperkite', 'Harbor Books', 'Lantern'], adjectives: ['Illustrated', 'Hardcover', 'Collected', 'Annotated', 'Pocket', 'Complete'], nouns: ['Field Guide', 'Cookbook', 'Atlas', 'Novel', 'Poetry Collection', 'Handbook'], price: [799, 5999], uses: ['curious readers', 'rainy afternoons', 'gift giving', 'bedside tables'] },
  { slug: 'sports-outdoors', name: 'Sports & Outdoors', prefix: 'SPO', brands: ['Trailhead', 'Summit', 'Riverstone', 'Peakform', 'Wildpath'], adjectives: ['Ultralight', 'Insulated', 'Adjustable', 'All-Weather', 'Foldable', 'Trail'], nouns: ['Backpack', 'Tent', 'Water Bottle', 'Yoga Mat', 'Trekking Poles', 'Sleeping Bag'], price: [1299, 49999], uses: ['weekend hikes', 'early-morning runs', 'camping trips', 'the studio'] },
  { slug: 'toys-games', name: 'Toys & Games', prefix: 'TOY', brands: ['Playwright', 'Tinker', 'Bramble', 'Jolly Fox', 'Cubix'], adjectives: ['Wooden', 'Cooperative', 'Strategy', 'Magnetic', 'Glow-in-the-Dark', 'Classic'], nouns: ['Board Game', 'Puzzle', 'Building Set', 'Card Game', 'Train Set', 'Robot Kit'], price: [999, 14999], uses: ['family game nights', 'curious kids', 'rainy days', 'party tables'] },
  { slug: 'fashion', name: 'Fashion', prefix: 'FAS', brands: ['Linen & Loom', 'Urbanthread', 'Fieldcoat', 'Marlow', 'Saltwater'], adjectives: ['Organic Cotton', 'Merino', 'Waxed', 'Relaxed-Fit', 'Recycled', 'Quilted'], nouns: ['Jacket', 'Sweater', 'T-Shirt', 'Scarf', 'Sneakers', 'Tote Bag'], price: [1499, 24999], uses: ['city days', 'cold mornings', 'travel light', 'everyday wear'] },
  { slug: 'beauty', name: 'Beauty', prefix: 'BEA', brands: ['Dewdrop', 'Botanica', 'Lumiere', 'Pure Ritual', 'Seabright'], adjectives: ['Hydrating', 'Fragrance-Free', 'Vitamin C', 'Gentle', 'Overnight', 'Mineral'], nouns: ['Face Serum', 'Moisturiser', 'Cleanser', 'Sunscreen', 'Lip Balm', 'Hand Cream'], price: [599, 7999], uses: ['sensitive skin', 'daily routines', 'dry winters', 'sunny holidays'] },
  { slug: 'garden', name: 'Garden', prefix: 'GAR', brands: ['Greenthumb', 'Fernway', 'Bloomfield', 'Rootstock', 'Meadowlark'], adjectives: ['Self-Watering', 'Galvanised', 'Solar', 'Heavy-Duty', 'Compact', 'Raised'], nouns: ['Planter', 'Hose Reel', 'Pruning Shears', 'Garden Lights', 'Compost Bin', 'Seed Starter Kit'], price: [799, 19999], uses: ['balcony gardens', 'vegetable beds', 'summer evenings', 'new gardeners'] },
];

/** The categories the catalog starts with. */
export const SEED_CATEGORIES: SeedCategory[] = PLANS.map(({ slug, name }) => ({ slug, name }));

/** A UUID-shaped id derived from the SKU, so two fresh starts produce the same ids. */
export function seedId(sku: string): string {
  const h = createHash('sha256').update(`bazaar-catalog:${sku}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Generate the demo catalog: `perCategory` products in each of the seed categories. */
export function generateSeedCatalog(perCategory = 60, seed = 20261123): SeedProduct[] {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
  const products: SeedProduct[] = [];
  for (const plan of PLANS) {
    const names = new Set<string>();
    for (let i = 1; i <= perCategory; i++) {
      let brand: string;
      let name: string;
      do {
        brand = pick(plan.brands);
        name = `${brand} ${pick(plan.adjectives)} ${pick(plan.nouns)}`;
        if (names.has(name)) name = `${name} ${pick(['II', 'Pro', 'Plus', 'Mini', 'Max', 'Lite', 'XL'])}`;
      } while (names.has(name));
      names.add(name);
      const [low, high] = plan.price;
      // Prices end in 99 like real shelf prices.
      const priceAmount = Math.max(low, Math.round((low + random() * (high - low)) / 100) * 100 - 1);
      const sku = `${plan.prefix}-${String(i).padStart(6, '0')}`;
      products.push({
        id: seedId(sku),
        sku,
        name,
        description: `Made for ${pick(plan.uses)}. A dependable pick from ${brand}'s ${plan.name.toLowerCase()} range.`,
        category: plan.slug,
        priceAmount,
      });
    }
  }
  return products;
}
